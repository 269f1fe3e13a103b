"""Reroute arithmetic: how much further a flight flew to stay out of an airspace.

Feeds cover a region, not the whole flight, so the flown distance is estimated
as great circle origin → first observed position, plus the observed track, plus
great circle last observed position → destination.  For a path made of great
circle legs this is exact whenever the first and last observations lie on the
first and last legs, and never larger than the truth (triangle inequality).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely import LineString
from shapely.geometry.base import BaseGeometry

from service.domain import km_to_nm
from service.geo.geodesy import distance_km, great_circle_line, path_length_km

CRUISE_KT = 450.0


@dataclass(frozen=True, slots=True)
class RerouteAssessment:
    great_circle_km: float
    flown_km: float
    extra_km: float
    avoided: tuple[str, ...]  # airspaces the great circle crosses and the track does not
    crossed: tuple[str, ...]  # airspaces the great circle crosses

    @property
    def extra_nm(self) -> float:
        return km_to_nm(self.extra_km)

    @property
    def extra_minutes(self) -> float:
        """Extra time at a typical jet cruise speed (450 kt)."""
        return self.extra_nm / CRUISE_KT * 60.0


def with_turns(points: Sequence[tuple[float, float, float | None]]) -> list[tuple[float, float]]:
    """The observed positions plus the turn points between them, from the reported tracks.

    Sampled every few minutes, a track cuts every corner of a rerouted path; where two
    consecutive reports fly different tracks, the turn is where the two courses meet
    (computed on a local plane, fine for the tens of km between reports).

    >>> pts = with_turns([(0.0, 0.0, 90.0), (1.0, 1.0, 0.0)])
    >>> [(round(x, 3), round(y, 3)) for x, y in pts]
    [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]
    """
    out: list[tuple[float, float]] = []
    for i, (lon, lat, track) in enumerate(points):
        if i > 0:
            plon, plat, ptrack = points[i - 1]
            turn = turn_point(plon, plat, ptrack, lon, lat, track)
            if turn is not None:
                out.append(turn)
        out.append((lon, lat))
    return out


def track_length_km(
    points: Sequence[tuple[float, float, float | None, float | None, float]],
) -> float:
    """Length of the observed track in km, from (lon, lat, track_deg, ground_speed_kt,
    seconds) reports.

    Between two reports on the same track the path is the straight leg.  Where the
    aircraft turned in between, the path lies between the straight leg (too short) and the
    two legs meeting where the reported tracks cross (too long when it turned twice, as
    a flight going around a FIR's corner does between reports 15-30 minutes apart): the
    distance the reported ground speeds cover in the time between the reports decides
    within those bounds.

    >>> round(track_length_km([(0.0, 0.0, 90.0, None, 0.0), (1.0, 1.0, 0.0, None, 900.0)]))
    222
    >>> round(track_length_km([(0.0, 0.0, 90.0, 480.0, 0.0), (1.0, 1.0, 0.0, 480.0, 900.0)]))
    222
    >>> round(track_length_km([(0.0, 0.0, 90.0, 350.0, 0.0), (1.0, 1.0, 0.0, 350.0, 900.0)]))
    162
    """
    total = 0.0
    for (lon1, lat1, t1, v1, s1), (lon2, lat2, t2, v2, s2) in itertools.pairwise(points):
        chord = distance_km(lon1, lat1, lon2, lat2)
        turn = turn_point(lon1, lat1, t1, lon2, lat2, t2)
        if turn is None:
            total += chord
            continue
        corner = distance_km(lon1, lat1, *turn) + distance_km(*turn, lon2, lat2)
        if v1 is None or v2 is None or s2 <= s1:
            total += corner
            continue
        covered = (v1 + v2) / 2 * 1.852 * (s2 - s1) / 3600.0
        total += min(max(covered, chord), corner)
    return total


def turn_point(
    lon1: float, lat1: float, t1: float | None, lon2: float, lat2: float, t2: float | None
) -> tuple[float, float] | None:
    if t1 is None or t2 is None:
        return None
    change = abs((t2 - t1 + 180.0) % 360.0 - 180.0)
    if change < 3.0 or change > 150.0:
        return None  # straight on, or a reversal: no single corner
    k = math.cos(math.radians((lat1 + lat2) / 2))
    ax, ay, bx, by = lon1 * k, lat1, lon2 * k, lat2
    d1 = (math.sin(math.radians(t1)), math.cos(math.radians(t1)))
    d2 = (math.sin(math.radians(t2)), math.cos(math.radians(t2)))
    # the corner C: A + s*d1 = C = B - u*d2, i.e. s*d1 + u*d2 = B - A
    det = d1[0] * d2[1] - d1[1] * d2[0]
    if abs(det) < 1e-9:
        return None
    rx, ry = bx - ax, by - ay
    s = (rx * d2[1] - ry * d2[0]) / det  # forward along the first course
    u = (d1[0] * ry - d1[1] * rx) / det  # back along the second course
    gap = math.hypot(rx, ry)
    if not (0 < s < 1.5 * gap and 0 < u < 1.5 * gap):
        return None
    return ((ax + s * d1[0]) / k, ay + s * d1[1])


def estimate_flown_km(
    origin: tuple[float, float],
    destination: tuple[float, float],
    track: Sequence[tuple[float, float]],
    track_km: float | None = None,
) -> float:
    """Flown distance from origin to destination through the observed track, in km
    (``track_km``: the observed part's length when known better than the polyline's).

    >>> round(estimate_flown_km((0.0, 0.0), (2.0, 0.0), [(0.5, 0.0), (1.5, 0.0)]), 1)
    222.6
    """
    if not track:
        return distance_km(*origin, *destination)
    lons = [p[0] for p in track]
    lats = [p[1] for p in track]
    return (
        distance_km(*origin, lons[0], lats[0])
        + (path_length_km(lons, lats) if track_km is None else track_km)
        + distance_km(lons[-1], lats[-1], *destination)
    )


def assess_reroute(
    origin: tuple[float, float],
    destination: tuple[float, float],
    track: Sequence[tuple[float, float]],
    airspaces: dict[str, BaseGeometry],
    track_km: float | None = None,
) -> RerouteAssessment:
    """Compare the observed track with the great circle against ``airspaces``.

    >>> from shapely import box
    >>> a = assess_reroute((0.0, 0.0), (4.0, 0.0), [(1.0, 0.0), (2.0, 2.0), (3.0, 0.0)],
    ...                    {"ZZZZ": box(1.5, -0.5, 2.5, 0.5)})
    >>> a.avoided, round(a.extra_km)
    (('ZZZZ',), 273)
    """
    gc_km = distance_km(*origin, *destination)
    gc_line = great_circle_line(*origin, *destination)
    flown_km = estimate_flown_km(origin, destination, track, track_km)
    track_line = LineString(track) if len(track) >= 2 else None
    # the unobserved parts (before the first and after the last report) are taken as great
    # circles: an airspace they cross may have been flown through, so it was not avoided
    unseen = (
        [great_circle_line(*origin, *track[0]), great_circle_line(*track[-1], *destination)]
        if track
        else []
    )
    crossed: list[str] = []
    avoided: list[str] = []
    for code, geometry in airspaces.items():
        if not shapely.intersects(geometry, gc_line):
            continue
        crossed.append(code)
        if (
            track_line is not None
            and not shapely.intersects(geometry, track_line)
            and not any(shapely.intersects(geometry, leg) for leg in unseen)
        ):
            avoided.append(code)
    return RerouteAssessment(
        great_circle_km=gc_km,
        flown_km=flown_km,
        extra_km=flown_km - gc_km,
        avoided=tuple(avoided),
        crossed=tuple(crossed),
    )
