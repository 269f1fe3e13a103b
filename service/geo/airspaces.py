"""Airspace and airport registries loaded from seeds.

Polygons are loaded once and prepared, so that classification of whole
snapshots runs as vectorized shapely calls (see :mod:`service.geo.classify`).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from service.geo.geodesy import distances_km


@dataclass(frozen=True, slots=True)
class Airspace:
    icao: str
    name: str
    geometry: BaseGeometry

    def geojson(self) -> dict:
        return shapely.geometry.mapping(self.geometry)  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class Airport:
    icao: str
    iata: str
    name: str
    city: str
    country: str
    lat: float
    lon: float
    elevation_ft: float


def prepared_copy(geometry: shapely.Geometry) -> shapely.Geometry:
    """A private copy of ``geometry``, prepared.

    GEOS prepared geometries are not thread-safe (libgeos#825): their indexes are built lazily
    and keep mutable state, and shapely uses a geometry's prepared form for every predicate
    once it exists.  Two threads judging against one shared prepared FIR (detection in the
    poller's worker thread, NOTAM parsing in the event loop or an API worker) crashed the
    process with a segmentation fault.  So shared geometries stay unprepared and each owner
    of a hot loop prepares a copy of its own (a WKB round trip keeps every coordinate exact).

    >>> square = shapely.box(0, 0, 1, 1)
    >>> copy = prepared_copy(square)
    >>> copy is square, bool(shapely.is_prepared(copy)), bool(shapely.is_prepared(square))
    (False, True, False)
    """
    copy = shapely.from_wkb(shapely.to_wkb(geometry))
    shapely.prepare(copy)
    return copy


class AirspaceRegistry:
    """All FIR polygons from ``firs.geojson``, prepared for repeated queries."""

    def __init__(self, airspaces: list[Airspace]):
        self._by_icao = {a.icao: a for a in airspaces}
        self.codes: list[str] = [a.icao for a in airspaces]
        # left unprepared: these objects are shared across threads (NOTAM parsing, the API);
        # a consumer that needs speed prepares its own copy (prepared_copy)
        self.geometries = np.array([a.geometry for a in airspaces], dtype=object)
        self._patterns: tuple | None = None  # see named_in

    @classmethod
    def from_world(cls, path: Path) -> AirspaceRegistry:
        """Every FIR of the world file (sectors unioned, invalid polygons repaired)."""
        from service.geo.world import load_world_firs

        return cls([Airspace(f.icao, f.name, f.geometry) for f in load_world_firs(path)])

    @classmethod
    def from_geojson(cls, path: Path) -> AirspaceRegistry:
        data = json.loads(path.read_text(encoding="utf-8"))
        if any("sector" in f["properties"] for f in data["features"]):
            return cls.from_world(path)
        airspaces = []
        for feature in data["features"]:
            props = feature["properties"]
            geometry = shapely.make_valid(shape(feature["geometry"]))
            airspaces.append(Airspace(props["icao"], props.get("name", props["icao"]), geometry))
        return cls(airspaces)

    def __contains__(self, icao: str) -> bool:
        return icao in self._by_icao

    def __iter__(self):
        return iter(self._by_icao.values())

    def named_in(self, text: str) -> str | None:
        """The first FIR (in registry order) an upper-case text names: ``(SVZM)``,
        ``SVZM FIR``, ``FIR SVZM`` or its name before ``FIR``/``FLIGHT INFORMATION REGION``.

        Two patterns compiled once for all FIRs: one per FIR and text (870 for the world)
        overflowed ``re``'s cache and made each NOTAM cost ~40 ms.

        >>> reg = AirspaceRegistry.from_geojson(Path("seeds/firs.geojson"))
        >>> reg.named_in("IN THE MAIQUETIA FLIGHT INFORMATION REGION (SVZM)")
        'SVZM'
        """
        if self._patterns is None:
            import re
            import unicodedata

            codes = "|".join(re.escape(c) for c in sorted(self.codes, key=len, reverse=True))
            by_name = {}
            for a in self._by_icao.values():
                name = unicodedata.normalize("NFKD", a.name).encode("ascii", "ignore").decode()
                if name:
                    by_name.setdefault(name.upper(), a.icao)
            names = "|".join(re.escape(n) for n in sorted(by_name, key=len, reverse=True))
            self._patterns = (
                re.compile(rf"\(({codes})\)|\b({codes})\s+FIR\b|\bFIR\s*\(?({codes})\b"),
                re.compile(rf"\b({names})\s+(?:FIR|FLIGHT INFORMATION REGION)\b")
                if names
                else None,
                by_name,
            )
        code_re, name_re, by_name = self._patterns
        found = {g for m in code_re.finditer(text) for g in m.groups() if g}
        if name_re is not None:
            found |= {by_name[m.group(1)] for m in name_re.finditer(text)}
        return next((c for c in self.codes if c in found), None)

    def get(self, icao: str) -> Airspace:
        try:
            return self._by_icao[icao]
        except KeyError:
            raise KeyError(f"unknown airspace {icao!r}: not in the FIR data") from None


class AirportRegistry:
    """Airports from ``airports.csv`` with a vectorized nearest-airport lookup."""

    def __init__(self, airports: list[Airport]):
        self._by_icao = {a.icao: a for a in airports}
        # sorted by latitude: a lookup measures distances only within its latitude band
        ordered = sorted(self._by_icao.values(), key=lambda a: a.lat)
        self._codes = np.array([a.icao for a in ordered])
        self._lons = np.array([a.lon for a in ordered])
        self._lats = np.array([a.lat for a in ordered])

    @classmethod
    def from_airportsdata(cls, extra_csv: Path | None = None) -> AirportRegistry:
        """Airports worldwide from the ``airportsdata`` package (MIT): those with an IATA
        code, i.e. with scheduled service (a landing strip next to an airport would take its
        landings), plus the rows of ``extra_csv`` (same columns as ``airports.csv``), which win.
        """
        import airportsdata

        rows = [
            Airport(
                icao=code,
                iata=a["iata"],
                name=a["name"],
                city=a["city"],
                country=a["country"],
                lat=float(a["lat"]),
                lon=float(a["lon"]),
                elevation_ft=float(a["elevation"] or 0),
            )
            for code, a in airportsdata.load("ICAO").items()
            if a["iata"]
        ]
        if extra_csv is not None and extra_csv.is_file():
            rows.extend(cls.from_csv(extra_csv))
        return cls(rows)

    @classmethod
    def from_csv(cls, path: Path) -> AirportRegistry:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        return cls(
            [
                Airport(
                    icao=r["icao"],
                    iata=r["iata"],
                    name=r["name"],
                    city=r["city"],
                    country=r["country"],
                    lat=float(r["lat"]),
                    lon=float(r["lon"]),
                    elevation_ft=float(r["elevation_ft"] or 0),
                )
                for r in rows
            ]
        )

    def __contains__(self, icao: str) -> bool:
        return icao in self._by_icao

    def __iter__(self):
        return iter(self._by_icao.values())

    def get(self, icao: str) -> Airport:
        try:
            return self._by_icao[icao]
        except KeyError:
            raise KeyError(f"unknown airport {icao!r}: not in seeds/airports.csv") from None

    def nearest(self, lon: float, lat: float, within_km: float) -> tuple[str, float] | None:
        """The closest airport within ``within_km`` of a point, with its distance in km."""
        band_deg = within_km / 110.0 + 0.01  # a degree of latitude is at least 110.5 km
        lo, hi = np.searchsorted(self._lats, [lat - band_deg, lat + band_deg])
        if hi <= lo:
            return None
        lons, lats = self._lons[lo:hi], self._lats[lo:hi]
        d = distances_km(np.full(len(lons), lon), np.full(len(lats), lat), lons, lats)
        i = int(np.argmin(d))
        return (str(self._codes[lo + i]), float(d[i])) if d[i] <= within_km else None


def load_seed_registries(seeds_dir: Path) -> tuple[AirspaceRegistry, AirportRegistry]:
    """Only the seeds folder's own ``firs.geojson`` and ``airports.csv`` (no world FIRs, no
    ``airportsdata``): the small fixed registries the scenarios and their tests are built on."""
    return (
        AirspaceRegistry.from_geojson(seeds_dir / "firs.geojson"),
        AirportRegistry.from_csv(seeds_dir / "airports.csv"),
    )


def load_registries(seeds_dir: Path) -> tuple[AirspaceRegistry, AirportRegistry]:
    """The FIR and airport registries of a seeds folder: the world's FIRs
    (``world/firs-world.geojson``, else ``firs.geojson``) and airports (``airportsdata``
    with ``airports.csv`` on top)."""
    world = seeds_dir / "world" / "firs-world.geojson"
    if world.is_file():
        from service.geo.world import load_world

        # the settings' watch derivation has parsed the world already (cached per process)
        firs = load_world(seeds_dir.resolve()).firs.values()
        return (
            AirspaceRegistry([Airspace(f.icao, f.name, f.geometry) for f in firs]),
            AirportRegistry.from_airportsdata(seeds_dir / "airports.csv"),
        )
    return (
        AirspaceRegistry.from_world(world)
        if world.is_file()
        else AirspaceRegistry.from_geojson(seeds_dir / "firs.geojson"),
        AirportRegistry.from_airportsdata(seeds_dir / "airports.csv"),
    )
