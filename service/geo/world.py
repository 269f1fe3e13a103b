"""The whole world's FIRs, airports and ICAO 24-bit address blocks, bundled.

* FIRs: ``seeds/world/firs-world.geojson`` (VAT-Spy, CC BY-SA 4.0). Whole boundaries and
  sectors; a code is its whole boundary (duplicates unioned), or the union of its sectors
  when no whole boundary exists (LGMD, TEH, ZJSY, ZWWW). Invalid polygons as published are
  repaired with ``shapely.make_valid``.
* Airports: the ``airportsdata`` package (MIT), those with an IATA code (scheduled
  service; landing strips would steal landings from the airport next to them).
* Address blocks: ``seeds/world/icao24-blocks.csv`` (ICAO Annex 10 Vol. III allocation
  table), plus ``territories.csv``: the state whose register a territory's aircraft use.

The state(s) of a FIR are derived, not configured: the countries of the airports inside
it (each with at least ``STATE_MIN_SHARE`` of them), or for an oceanic FIR without
airports, the country of the airports sharing its two-letter (else one-letter) ICAO
prefix. So "domestic" works for any FIR with no configuration.
"""

from __future__ import annotations

import csv
import functools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

STATE_MIN_SHARE = 0.25
WORLD_FIRS = Path("world") / "firs-world.geojson"
BLOCKS = Path("world") / "icao24-blocks.csv"
TERRITORIES = Path("world") / "territories.csv"


@dataclass(frozen=True, slots=True)
class FirFeature:
    icao: str
    name: str
    oceanic: bool
    geometry: shapely.Geometry


def load_world_firs(path: Path) -> list[FirFeature]:
    """Every FIR code once: whole boundaries unioned per code, else the union of sectors.

    >>> firs = {f.icao: f for f in load_world_firs(Path("seeds/world/firs-world.geojson"))}
    >>> len(firs) > 400, firs["OIIX"].name, firs["ZWWW"].geometry.is_valid
    (True, 'Tehran', True)
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    whole: dict[str, list] = defaultdict(list)
    sectors: dict[str, list] = defaultdict(list)
    props: dict[str, dict] = {}
    for feature in data["features"]:
        p = feature["properties"]
        code = p["icao"]
        geometry = shape(feature["geometry"])
        (sectors if p.get("sector") else whole)[code].append(geometry)
        if not p.get("sector") or code not in props:
            props[code] = p
    out = []
    for code in sorted(set(whole) | set(sectors)):
        parts = whole.get(code) or sectors[code]
        geometry = shapely.make_valid(shapely.union_all(shapely.make_valid(np.array(parts))))
        # make_valid may return a collection with stray lines: keep the polygons
        if geometry.geom_type == "GeometryCollection":
            geometry = shapely.union_all(
                [g for g in geometry.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
            )
        if geometry.geom_type == "Polygon":  # one type for every FIR, as published
            geometry = shapely.MultiPolygon([geometry])
        p = props[code]
        out.append(FirFeature(code, p.get("name") or code, bool(p.get("oceanic")), geometry))
    return out


@dataclass(frozen=True, slots=True)
class AddressBlock:
    low: int
    high: int
    state: str  # ISO 3166-1 alpha-2


class AddressBlocks:
    """ICAO 24-bit address blocks by state, with a vectorised state lookup."""

    def __init__(self, blocks: Iterable[AddressBlock], territories: dict[str, str]):
        self.blocks = sorted(blocks, key=lambda b: b.low)
        self.territories = dict(territories)
        self._lows = np.array([b.low for b in self.blocks], dtype=np.int64)
        self._highs = np.array([b.high for b in self.blocks], dtype=np.int64)

    @classmethod
    def from_seeds(cls, seeds_dir: Path) -> AddressBlocks:
        with (seeds_dir / BLOCKS).open(encoding="utf-8", newline="") as handle:
            rows = csv.DictReader(line for line in handle if not line.startswith("#"))
            blocks = [
                AddressBlock(int(r["start"], 16), int(r["end"], 16), r["state"]) for r in rows
            ]
        with (seeds_dir / TERRITORIES).open(encoding="utf-8", newline="") as handle:
            rows = csv.DictReader(line for line in handle if not line.startswith("#"))
            territories = {r["territory"]: r["state"] for r in rows}
        return cls(blocks, territories)

    def register_of(self, country: str) -> str:
        """The state whose address block a country's aircraft carry (a territory's sovereign)."""
        return self.territories.get(country, country)

    def of_states(self, states: Iterable[str]) -> list[str]:
        """Blocks as ``"0D8000-0DFFFF"`` texts for the given states (territories resolved).

        >>> AddressBlocks.from_seeds(Path("seeds")).of_states(["VE", "CW"])
        ['0D8000-0DFFFF', '480000-487FFF']
        """
        wanted = {self.register_of(s) for s in states}
        return [f"{b.low:06X}-{b.high:06X}" for b in self.blocks if b.state in wanted]

    def state_of(self, addresses: np.ndarray) -> np.ndarray:
        """ISO code of the state each integer address is allocated to ('' when none)."""
        addresses = np.asarray(addresses, dtype=np.int64)
        idx = np.searchsorted(self._lows, addresses, side="right") - 1
        ok = (idx >= 0) & (addresses <= self._highs[np.clip(idx, 0, None)])
        states = np.array([b.state for b in self.blocks] + [""], dtype=object)
        return states[np.where(ok, idx, len(self.blocks))]


def fir_states(
    firs: list[FirFeature],
    airports: Iterable[tuple[str, float, float, str]],
    registers: AddressBlocks,
) -> dict[str, tuple[str, ...]]:
    """FIR code → register state(s) of its airports (ISO alpha-2), derived from geometry.

    ``airports`` are ``(icao, lon, lat, country)``; one STRtree bulk query puts every
    airport in its FIR(s).
    """
    rows = list(airports)
    if not rows:
        return {f.icao: () for f in firs}
    codes = [r[0] for r in rows]
    countries = [registers.register_of(r[3]) for r in rows]
    points = shapely.points(np.array([(r[1], r[2]) for r in rows], dtype=float))
    tree = shapely.STRtree([f.geometry for f in firs])
    point_idx, fir_idx = tree.query(points, predicate="within")
    inside: dict[int, Counter] = defaultdict(Counter)
    for p, f in zip(point_idx, fir_idx, strict=True):
        inside[int(f)][countries[int(p)]] += 1
    by_prefix: dict[str, Counter] = defaultdict(Counter)
    for code, country in zip(codes, countries, strict=True):
        by_prefix[code[:2]][country] += 1
        by_prefix[code[:1]][country] += 1
    out: dict[str, tuple[str, ...]] = {}
    for i, fir in enumerate(firs):
        counts = inside.get(i)
        if counts:
            total = sum(counts.values())
            top = counts.most_common(1)[0][0]
            states = {c for c, n in counts.items() if n / total >= STATE_MIN_SHARE} | {top}
            out[fir.icao] = tuple(sorted(states))
            continue
        for prefix in (fir.icao[:2], fir.icao[:1]):
            if by_prefix.get(prefix):
                out[fir.icao] = (by_prefix[prefix].most_common(1)[0][0],)
                break
        else:
            out[fir.icao] = ()
    return out


@dataclass(frozen=True, slots=True)
class World:
    """The bundled world data a watch is derived from (read-only)."""

    firs: dict[str, FirFeature]
    blocks: AddressBlocks
    states: dict[str, tuple[str, ...]]

    def domestic_blocks(self, fir: str) -> list[str]:
        """Address blocks of the FIR's state(s), e.g. OIIX → ``['730000-737FFF']``."""
        return self.blocks.of_states(self.states.get(fir, ()))


@functools.cache
def load_world(seeds_dir: Path) -> World:
    """FIRs, address blocks and FIR states of a seeds folder.

    Cached per folder for the process: the data is immutable and settings are loaded in
    many places (CLI, tests, each eval run); parsing 1.7 MB of GeoJSON and placing 8,000
    airports costs about half a second each time.
    """
    import airportsdata

    firs = load_world_firs(seeds_dir / WORLD_FIRS)
    blocks = AddressBlocks.from_seeds(seeds_dir)
    airports = (
        (code, float(a["lon"]), float(a["lat"]), a["country"])
        for code, a in airportsdata.load("ICAO").items()
        if a["iata"]
    )
    return World({f.icao: f for f in firs}, blocks, fir_states(firs, airports, blocks))
