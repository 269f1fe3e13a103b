"""Which airspace each position is in, for whole snapshots at once.

A snapshot is classified with one ``shapely.contains_xy`` call per airspace over
arrays of coordinates (geometries are prepared once), never a Python loop of
``Point(...).within(...)``: a global snapshot has 10k+ aircraft.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from service.geo.airspaces import AirspaceRegistry


class AirspaceClassifier:
    """Membership of points in a fixed list of airspaces (lon/lat degrees)."""

    def __init__(self, registry: AirspaceRegistry, codes: Sequence[str]):
        self.codes = list(codes)
        self._geometries = [registry.get(code).geometry for code in self.codes]
        self._bounds = [shapely.bounds(g) for g in self._geometries]
        for geometry in self._geometries:
            shapely.prepare(geometry)

    def membership(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Boolean matrix ``[airspace, point]``: True where the point is inside."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        out = np.zeros((len(self.codes), lons.shape[0]), dtype=bool)
        for i, geometry in enumerate(self._geometries):
            # a cheap bounding-box mask first: a global snapshot is mostly far away
            x0, y0, x1, y1 = self._bounds[i]
            near = (lons >= x0) & (lons <= x1) & (lats >= y0) & (lats <= y1)
            if near.any():
                out[i, near] = shapely.contains_xy(geometry, lons[near], lats[near])
        return out

    def first_airspace(self, lons: np.ndarray, lats: np.ndarray) -> list[str | None]:
        """The first listed airspace containing each point, or None.

        >>> from pathlib import Path
        >>> reg = AirspaceRegistry.from_geojson(Path("seeds/firs.geojson"))
        >>> AirspaceClassifier(reg, ["SVZM"]).first_airspace([-66.99, -70.0], [8.0, 12.5])
        ['SVZM', None]
        """
        member = self.membership(np.asarray(lons), np.asarray(lats))
        if member.shape[1] == 0:
            return []
        any_inside = member.any(axis=0)
        first = member.argmax(axis=0)
        return [
            self.codes[int(i)] if inside else None
            for i, inside in zip(first, any_inside, strict=True)
        ]
