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


@lru_cache(maxsize=4)
def land(seeds_dir: Path) -> BaseGeometry:
    return decode(json.loads((seeds_dir / LAND_FILE).read_text()), "land")


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
