"""A snapshot's positions as columns, for the per-poll path of a wide feed.

A global OpenSky poll is 12,000 states every few seconds.  One frozen
:class:`~service.domain.Position` per state (validated in ``__post_init__``) cost about as
much as decoding the whole body, and detection then read every field back out of it.
A batch keeps the same values in lists (plus numpy longitude/latitude arrays for the
vectorised classification), validated once per column with the rules of
:class:`~service.domain.Position`; it is still a sequence of positions, built on access, for
every caller that wants objects (tests, the ADS-B path, the rare alert that cites one).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, overload

import numpy as np

from service.domain import Position


class PositionBatch(Sequence[Position]):
    """Columns of validated positions (same rules as :class:`Position`), in one order."""

    __slots__ = (
        "altitude_ft",
        "callsign",
        "ground_speed_kt",
        "icao24",
        "lat",
        "lats",
        "lon",
        "lons",
        "observed_at",
        "on_ground",
        "source",
        "track_deg",
    )

    def __init__(
        self,
        icao24: list[str],
        callsign: list[str | None],
        observed_at: list[datetime],
        lon: list[float],
        lat: list[float],
        altitude_ft: list[float | None],
        on_ground: list[bool],
        ground_speed_kt: list[float | None],
        track_deg: list[float | None],
        source: list[str],
    ):
        self.icao24, self.callsign, self.observed_at = icao24, callsign, observed_at
        self.lon, self.lat, self.altitude_ft, self.on_ground = lon, lat, altitude_ft, on_ground
        self.ground_speed_kt, self.track_deg, self.source = ground_speed_kt, track_deg, source
        self.lons = np.array(lon, dtype=float)
        self.lats = np.array(lat, dtype=float)

    @classmethod
    def from_positions(cls, positions: Sequence[Position]) -> PositionBatch:
        """Columns of already validated positions (the ADS-B parser's, a test's)."""
        if isinstance(positions, PositionBatch):
            return positions
        return cls(
            [p.icao24 for p in positions],
            [p.callsign for p in positions],
            [p.observed_at for p in positions],
            [p.lon for p in positions],
            [p.lat for p in positions],
            [p.altitude_ft for p in positions],
            [p.on_ground for p in positions],
            [p.ground_speed_kt for p in positions],
            [p.track_deg for p in positions],
            [p.source for p in positions],
        )

    def take(self, order: list[int]) -> PositionBatch:
        """The rows in ``order`` (a permutation or a subset)."""
        return PositionBatch(*([column[i] for i in order] for column in self.columns()))

    def sorted_by_time(self) -> PositionBatch:
        """Stable sort by observation time (most polls already are: then no copy)."""
        times = self.observed_at
        if all(a <= b for a, b in itertools.pairwise(times)):
            return self
        return self.take(sorted(range(len(times)), key=times.__getitem__))

    def columns(self) -> tuple[list[Any], ...]:
        return (
            self.icao24,
            self.callsign,
            self.observed_at,
            self.lon,
            self.lat,
            self.altitude_ft,
            self.on_ground,
            self.ground_speed_kt,
            self.track_deg,
            self.source,
        )

    def __len__(self) -> int:
        return len(self.icao24)

    @overload
    def __getitem__(self, index: int) -> Position: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Position, ...]: ...
    def __getitem__(self, index: int | slice) -> Position | tuple[Position, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        return Position(
            icao24=self.icao24[index],
            callsign=self.callsign[index],
            observed_at=self.observed_at[index],
            lon=self.lon[index],
            lat=self.lat[index],
            altitude_ft=self.altitude_ft[index],
            on_ground=self.on_ground[index],
            ground_speed_kt=self.ground_speed_kt[index],
            track_deg=self.track_deg[index],
            source=self.source[index],
        )

    def __iter__(self) -> Iterator[Position]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (tuple, list, PositionBatch)):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PositionBatch({len(self)} positions)"
