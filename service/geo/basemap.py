"""The status map's land background, from Natural Earth 1:50m land bundled in seeds.

The seed is the ``world-atlas`` npm package's ``land-50m.json`` as published (TopoJSON:
quantized, delta-encoded arcs shared between rings), so its provenance stays checkable.
TopoJSON is decoded here rather than through a dependency: the format is one page of spec
(https://github.com/topojson/topojson-specification) and the only Python decoders on PyPI
come inside much larger encoding toolkits.  The map only ever needs land clipped to the
watched region, simplified to what a 1,000-pixel-wide SVG can show.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry.base import BaseGeometry

LAND_FILE = Path("basemap") / "land-50m.json"


def _decode_arcs(topology: dict[str, Any]) -> list[np.ndarray]:
    """Absolute lon/lat for every arc (quantized arcs are delta-encoded integers)."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        a = np.asarray(arc, dtype=float)
        if transform:
            a = np.cumsum(a, axis=0) * transform["scale"] + transform["translate"]
        arcs.append(a)
    return arcs


def _ring(arcs: list[np.ndarray], indices: list[int]) -> np.ndarray:
    """Join arcs into one ring; index ~i is arc i reversed; joined arcs share their end point."""
    parts = []
    for k, i in enumerate(indices):
        a = arcs[~i][::-1] if i < 0 else arcs[i]
        parts.append(a if k == 0 else a[1:])
    return np.concatenate(parts)


def decode(topology: dict[str, Any], name: str) -> BaseGeometry:
    """One TopoJSON object's polygons as a shapely geometry, lon/lat."""
    arcs = _decode_arcs(topology)
    obj = topology["objects"][name]
    geometries = obj["geometries"] if obj["type"] == "GeometryCollection" else [obj]
    polygons = []
    for g in geometries:
        if g["type"] not in ("Polygon", "MultiPolygon"):
            continue
        for poly in g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]:
            rings = [_ring(arcs, r) for r in poly]
            polygons.append(shapely.Polygon(rings[0], rings[1:]))
    return shapely.MultiPolygon(polygons)


def _unwrap(ring: np.ndarray) -> np.ndarray:
    """A ring's longitudes made continuous (no jump of more than 180° between vertices)."""
    return np.column_stack([np.unwrap(ring[:, 0], period=360.0), ring[:, 1]])


def _valid_pieces(polygon: shapely.Polygon) -> list[shapely.Polygon]:
    """A polygon as valid pieces within -180..180.

    Five Natural Earth polygons are invalid as published: four cross the antimeridian (their
    rings jump from +180 to -180 along one long edge: Eurasia with Chukotka, Wrangel Island,
    a Fiji island, Antarctica, which also circles the pole) and one is a zero-area sliver.
    ``clip_by_rect`` tolerates them for most boxes, but raises (a 3-point ring) for narrow ones
    across that edge, e.g. -156,-90,-155,90.  A crossing ring is unwrapped (and Antarctica
    closed through the pole), then cut at ±180 into the pieces on each side.
    """
    if polygon.is_valid:
        return [polygon]
    shell = np.asarray(polygon.exterior.coords)
    if np.any(np.abs(np.diff(shell[:, 0])) > 180):
        shell = _unwrap(shell)
        if abs(shell[-1, 0] - shell[0, 0]) > 180:  # around a pole: close the ring through it
            pole = -90.0 if shell[:, 1].mean() < 0 else 90.0
            shell = np.vstack([shell, [[shell[-1, 0], pole], [shell[0, 0], pole], shell[0]]])
        middle = (shell[:, 0].min() + shell[:, 0].max()) / 2
        holes = []
        for interior in polygon.interiors:
            hole = _unwrap(np.asarray(interior.coords))
            hole[:, 0] += 360.0 * round((middle - hole[:, 0].mean()) / 360.0)
            holes.append(hole)
        polygon = shapely.Polygon(shell, holes)
    whole = shapely.make_valid(polygon)
    pieces: list[shapely.Polygon] = []
    for offset in (-360.0, 0.0, 360.0):
        moved = shapely.affinity.translate(whole, xoff=offset)
        part = shapely.clip_by_rect(moved, -180.0, -90.0, 180.0, 90.0)
        pieces += [g for g in shapely.get_parts(part) if g.geom_type == "Polygon" and g.area > 0]
    return pieces


@lru_cache(maxsize=4)
def land(seeds_dir: Path) -> BaseGeometry:
    decoded = decode(json.loads((seeds_dir / LAND_FILE).read_text()), "land")
    return shapely.MultiPolygon([p for g in decoded.geoms for p in _valid_pieces(g)])


@lru_cache(maxsize=32)
def land_within(
    seeds_dir: Path, bbox: tuple[float, float, float, float], tolerance_deg: float = 0.01
) -> dict[str, Any]:
    """Land inside ``bbox`` (min lon, min lat, max lon, max lat) as GeoJSON, simplified.

    ``clip_by_rect`` rather than an intersection: it is fast and does not need the
    (antimeridian-touching) world polygons to be valid.
    """
    clipped = shapely.clip_by_rect(land(seeds_dir), *bbox)
    # pointwise: rounding only, no overlay, so the invalid world polygons never raise
    simple = shapely.set_precision(
        shapely.simplify(clipped, tolerance_deg), 0.001, mode="pointwise"
    )
    return shapely.geometry.mapping(simple)
