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


class AirspaceRegistry:
    """All FIR polygons from ``firs.geojson``, prepared for repeated queries."""

    def __init__(self, airspaces: list[Airspace]):
        self._by_icao = {a.icao: a for a in airspaces}
        self.codes: list[str] = [a.icao for a in airspaces]
        self.geometries = np.array([a.geometry for a in airspaces], dtype=object)
        shapely.prepare(self.geometries)

    @classmethod
    def from_geojson(cls, path: Path) -> AirspaceRegistry:
        data = json.loads(path.read_text(encoding="utf-8"))
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

    def get(self, icao: str) -> Airspace:
        try:
            return self._by_icao[icao]
        except KeyError:
            raise KeyError(f"unknown airspace {icao!r}: not in seeds/firs.geojson") from None


class AirportRegistry:
    """Airports from ``airports.csv`` with a vectorized nearest-airport lookup."""

    def __init__(self, airports: list[Airport]):
        self._by_icao = {a.icao: a for a in airports}
        self._codes = np.array([a.icao for a in airports])
        self._lons = np.array([a.lon for a in airports])
        self._lats = np.array([a.lat for a in airports])

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
        if len(self._codes) == 0:
            return None
        d = distances_km(
            np.full(len(self._lons), lon), np.full(len(self._lats), lat), self._lons, self._lats
        )
        i = int(np.argmin(d))
        return (str(self._codes[i]), float(d[i])) if d[i] <= within_km else None


def load_registries(seeds_dir: Path) -> tuple[AirspaceRegistry, AirportRegistry]:
    """The FIR and airport registries from a seeds folder (``firs.geojson``, ``airports.csv``)."""
    return (
        AirspaceRegistry.from_geojson(seeds_dir / "firs.geojson"),
        AirportRegistry.from_csv(seeds_dir / "airports.csv"),
    )
