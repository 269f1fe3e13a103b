"""Which airspace each position is in, for whole snapshots at once.

A snapshot is classified with one ``shapely.contains_xy`` call per airspace over
arrays of coordinates (geometries are prepared once), never a Python loop of
``Point(...).within(...)``: a global snapshot has 10k+ aircraft.

Against the whole world (435 FIRs) a per-airspace pass costs more than parsing the
snapshot, so :class:`GridIndex` takes over: a 1° grid built once says, for each cell,
which FIRs meet it and whether the cell lies wholly inside each one.  A point in such a
cell is classified by an array lookup; only points in cells a boundary crosses are
tested exactly, grouped by FIR.  Results are identical to the per-airspace pass.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from service.geo.airspaces import AirspaceRegistry, prepared_copy

GRID_FROM_AIRSPACES = 40


class GridIndex:
    """Point → airspaces for many airspaces at once (see the module docstring).

    >>> from pathlib import Path
    >>> reg = AirspaceRegistry.from_geojson(Path("seeds/firs.geojson"))
    >>> index = GridIndex([a.geometry for a in reg])
    >>> points, airspaces = index.pairs(np.array([-66.99, 0.0]), np.array([8.0, 0.0]))
    >>> [(int(p), reg.codes[int(a)]) for p, a in zip(points, airspaces)]
    [(0, 'SVZM')]
    """

    def __init__(self, geometries: Sequence[shapely.Geometry], cell_deg: float = 1.0):
        # private prepared copies: the given geometries may be shared with other threads
        self.geometries = [g if shapely.is_prepared(g) else prepared_copy(g) for g in geometries]
        self.cell_deg = cell_deg
        self.nx, self.ny = round(360 / cell_deg), round(180 / cell_deg)
        cells, owners, whole = [], [], []
        for k, geometry in enumerate(self.geometries):
            x0, y0, x1, y1 = shapely.bounds(geometry)
            i = np.arange(self._col(x0), self._col(x1) + 1)
            j = np.arange(self._row(y0), self._row(y1) + 1)
            ii, jj = (a.ravel() for a in np.meshgrid(i, j))
            boxes = shapely.box(
                ii * cell_deg - 180,
                jj * cell_deg - 90,
                (ii + 1) * cell_deg - 180,
                (jj + 1) * cell_deg - 90,
            )
            meets = shapely.intersects(geometry, boxes)
            cells.append(jj[meets] * self.nx + ii[meets])
            owners.append(np.full(int(meets.sum()), k))
            # contains_properly: a cell edge on the FIR boundary would not be "inside" it
            whole.append(shapely.contains_properly(geometry, boxes[meets]))
        cell = np.concatenate(cells) if cells else np.zeros(0, dtype=np.int64)
        order = np.argsort(cell, kind="stable")
        self._owner = np.concatenate(owners)[order] if cells else np.zeros(0, dtype=np.int64)
        self._whole = np.concatenate(whole)[order] if cells else np.zeros(0, dtype=bool)
        # CSR layout: the pairs of cell c are [_ptr[c], _ptr[c + 1])
        self._ptr = np.searchsorted(cell[order], np.arange(self.nx * self.ny + 1))

    def _col(self, lon: float) -> int:
        return int(np.clip(np.floor((lon + 180) / self.cell_deg), 0, self.nx - 1))

    def _row(self, lat: float) -> int:
        return int(np.clip(np.floor((lat + 90) / self.cell_deg), 0, self.ny - 1))

    def pairs(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(point index, airspace index)`` for every point inside an airspace."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        col = np.clip(((lons + 180) / self.cell_deg).astype(np.int64), 0, self.nx - 1)
        row = np.clip(((lats + 90) / self.cell_deg).astype(np.int64), 0, self.ny - 1)
        cell = row * self.nx + col
        start = self._ptr[cell]
        count = self._ptr[cell + 1] - start
        point = np.repeat(np.arange(len(lons)), count)
        offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        slot = np.repeat(start, count) + offset
        owner = self._owner[slot]
        inside = self._whole[slot].copy()
        edge = np.flatnonzero(~inside)
        if len(edge):
            edge = edge[np.argsort(owner[edge], kind="stable")]
            cuts = np.flatnonzero(np.diff(owner[edge])) + 1
            for group in np.split(edge, cuts):
                p = point[group]
                inside[group] = shapely.contains_xy(
                    self.geometries[owner[group[0]]], lons[p], lats[p]
                )
        return point[inside], owner[inside]


class AirspaceClassifier:
    """Membership of points in a fixed list of airspaces (lon/lat degrees)."""

    def __init__(self, registry: AirspaceRegistry, codes: Sequence[str]):
        self.codes = list(codes)
        self._geometries = [prepared_copy(registry.get(code).geometry) for code in self.codes]
        self._bounds = [shapely.bounds(g) for g in self._geometries]
        self.grid = GridIndex(self._geometries) if len(self.codes) >= GRID_FROM_AIRSPACES else None

    def membership(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Boolean matrix ``[airspace, point]``: True where the point is inside."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        out = np.zeros((len(self.codes), lons.shape[0]), dtype=bool)
        if self.grid is not None:
            points, airspaces = self.grid.pairs(lons, lats)
            out[airspaces, points] = True
            return out
        for i, geometry in enumerate(self._geometries):
            # a cheap bounding-box mask first: a global snapshot is mostly far away
            x0, y0, x1, y1 = self._bounds[i]
            near = (lons >= x0) & (lons <= x1) & (lats >= y0) & (lats <= y1)
            if near.any():
                out[i, near] = shapely.contains_xy(geometry, lons[near], lats[near])
        return out

    def pairs(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(point index, airspace index)`` for every point inside an airspace, sorted by
        point: the sparse form of :meth:`membership` (a global snapshot x 435 FIRs)."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        if self.grid is not None:
            points, airspaces = self.grid.pairs(lons, lats)
        else:
            airspaces, points = np.nonzero(self.membership(lons, lats))
        order = np.argsort(points, kind="stable")
        return points[order], airspaces[order]

    def first_index(self, pairs: tuple[np.ndarray, np.ndarray], n: int) -> np.ndarray:
        """The first listed airspace of each of ``n`` points (``len(codes)`` when none)."""
        first = np.full(n, len(self.codes), dtype=np.int64)
        np.minimum.at(first, pairs[0], pairs[1])
        return first

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
