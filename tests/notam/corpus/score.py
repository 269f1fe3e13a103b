"""Score a NOTAM reader on the corpus: is each stated area within 1 km of the one it gave?

The distance is the Hausdorff distance in km between the stated area and the
parsed parts that overlap it, measured in an azimuthal equidistant frame
centred on the stated area, with both outlines densified so edges count, not
only vertices.  Used by ``tests/notam/test_corpus.py`` and by
``benchmarks/notam_corpus.py`` (which also scores aviconv-notam).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import shapely
from pyproj import CRS, Transformer
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from tests.notam.corpus.make_corpus import FIRS, NM_KM, azimuth, destination, sphere_circle

HERE = Path(__file__).parent
TOLERANCE_KM = 1.0


@dataclass(frozen=True)
class Entry:
    id: str
    tags: tuple[str, ...]
    text: str
    areas: tuple[BaseGeometry, ...]
    provenance: str


def _ring(spec: list) -> BaseGeometry:
    """Vertices, where ``{"arc": [lon, lat, km, "cw"|"ccw"]}`` joins its two neighbours."""
    points: list[tuple[float, float]] = []
    for i, element in enumerate(spec):
        if isinstance(element, dict):
            lon, lat, km, way = element["arc"]
            start, end = points[-1], tuple(spec[i + 1])
            a0, a1 = azimuth(lon, lat, *start), azimuth(lon, lat, *end)
            sweep = (a1 - a0) % 360 if way == "cw" else -((a0 - a1) % 360)
            steps = max(int(abs(sweep) / 2), 1)
            points += [destination(lon, lat, a0 + sweep * k / steps, km) for k in range(1, steps)]
        else:
            points.append(tuple(element))
    return shapely.Polygon(points)


def _from_spec(spec: dict) -> BaseGeometry:
    if "ring" in spec:
        return _ring(spec["ring"])
    if "polygon" in spec:
        return shapely.Polygon(spec["polygon"])
    if "circle" in spec:
        lon, lat, km = spec["circle"]
        return shapely.Polygon(sphere_circle(lon, lat, km))
    if "fir" in spec:
        return FIRS[spec["fir"]][1]
    raise ValueError(f"unknown expected spec {spec}")


def from_generated(e: dict) -> Entry:
    areas = tuple(shape(f["geometry"]) for f in e["expected"]["features"])
    return Entry(e["id"], tuple(e["tags"]), e["text"], areas, e["provenance"])


def entries() -> Iterator[Entry]:
    """The committed corpus: ``generated.jsonl``, ``handwritten.json``, ``references.json``."""
    for line in (HERE / "generated.jsonl").read_text(encoding="utf-8").splitlines():
        yield from_generated(json.loads(line))
    for e in json.loads((HERE / "handwritten.json").read_text(encoding="utf-8")):
        specs = e["expected"].get("areas", [e["expected"]])
        yield Entry(
            e["id"],
            tuple(e["tags"]),
            e["text"],
            tuple(_from_spec(s) for s in specs),
            e["provenance"],
        )
    for e in json.loads((HERE / "references.json").read_text(encoding="utf-8")):
        yield from_generated(e)


def _parts(geometry: BaseGeometry) -> list[BaseGeometry]:
    return list(getattr(geometry, "geoms", [geometry]))


def _local(stated: BaseGeometry):
    c = stated.centroid
    crs = CRS.from_proj4(f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +datum=WGS84 +units=m")
    forward = Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    def project(geometry: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geometry, lambda xy: _stack(forward.transform(xy[:, 0], xy[:, 1])))

    return project


def _stack(xy):
    import numpy as np

    return np.column_stack(xy)


def within_tolerance(stated: BaseGeometry, parsed: BaseGeometry | None) -> bool:
    """Whether the parsed area is within :data:`TOLERANCE_KM` (no exact distance: fast)."""
    return distance_km(stated, parsed, bound_only=True) <= TOLERANCE_KM


def distance_km(
    stated: BaseGeometry,
    parsed: BaseGeometry | None,
    exact: bool = False,
    bound_only: bool = False,
) -> float:
    """Hausdorff distance in km between a stated area and the parsed parts overlapping it.

    Unless ``exact``, a distance within :data:`TOLERANCE_KM` is reported as that bound
    (checked by mutual containment of 1 km buffers, much faster than the full distance).
    """
    if parsed is None or parsed.is_empty:
        return float("inf")
    if shapely.equals_exact(parsed, stated, 1e-9):
        return 0.0
    parts = [p for p in _parts(parsed) if p.intersects(stated)]
    if not parts:
        parts = [min(_parts(parsed), key=lambda p: p.distance(stated))]
    candidates = parts if len(parts) == 1 else [*parts, shapely.union_all(parts)]
    return min(_distance(stated, c, exact, bound_only) for c in candidates)


def _distance(
    stated: BaseGeometry, candidate: BaseGeometry, exact: bool, bound_only: bool
) -> float:
    project = _local(stated)
    a = project(stated)
    b = project(candidate)
    if b.area == 0 or a.area == 0:
        exact = True
    if not exact:
        tol = TOLERANCE_KM * 1000.0
        if b.boundary.within(a.boundary.buffer(tol, 8)) and a.boundary.within(
            b.boundary.buffer(tol, 8)
        ):
            return TOLERANCE_KM
        if bound_only:
            return float("inf")
    a, b = a.boundary, (b.boundary if b.area > 0 else b)
    step = max(250.0, a.length / 4000)
    a, b = shapely.segmentize(a, step), shapely.segmentize(b, step)
    return float(shapely.hausdorff_distance(a, b)) / 1000.0


@dataclass
class Score:
    areas: int = 0
    within: int = 0
    misses: list[tuple[str, float, tuple[str, ...]]] | None = None

    @property
    def rate(self) -> float:
        return self.within / self.areas if self.areas else 0.0


def score(read, corpus=None) -> tuple[Score, dict[str, list[float]]]:
    """``read(text) -> (geometry or None, problems)``; every stated area is scored."""
    result = Score(misses=[])
    distances: dict[str, list[float]] = {}
    for entry in corpus if corpus is not None else entries():
        geometry, problems = read(entry.text)
        for area in entry.areas:
            d = distance_km(area, geometry)
            distances.setdefault(entry.id, []).append(d)
            result.areas += 1
            if d <= TOLERANCE_KM:
                result.within += 1
            else:
                result.misses.append((entry.id, d, tuple(problems)))
    return result, distances


def to_geojson(geometry: BaseGeometry) -> dict:
    return mapping(geometry)  # type: ignore[return-value]


__all__ = ["NM_KM", "Entry", "Score", "distance_km", "entries", "score"]
