"""Which outline a NOTAM's text refers to (a FIR by code or name, a state), and its areas read
with that context.

A boundary leg ("ALONG THE MAIQUETIA FIR BOUNDARY") and a whole-FIR warning both
need an outline by name; the names come from the airspace registry, and a state's
outline from :mod:`service.notam.countries` (the union of its FIRs, reported as an
approximation).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from service.geo.airspaces import AirspaceRegistry
from service.notam.countries import bundled_countries
from service.notam.geometry import GeometryReading, read_geometry
from service.notam.problems import Problem
from service.notam.shapes import AreaKind


def fir_named_in(text: str, airspaces: AirspaceRegistry | None) -> str | None:
    """The FIR a text names: ``(SVZM)``, ``SVZM FIR`` or its name (``MAIQUETIA ... REGION``)."""
    if airspaces is None:
        return None
    return airspaces.named_in(text.upper())


class BoundaryLookup:
    """FIR code, FIR name or state name → outline, for boundary legs; notes what it approximated.

    A state's outline is the union of its FIRs (:mod:`service.notam.countries`); each time
    one is used, :attr:`notes` gets the ``geometry.country_by_firs`` problem to report.
    """

    def __init__(self, airspaces: AirspaceRegistry | None):
        self.airspaces = airspaces
        self.notes: list[Problem] = []

    def __call__(self, name: str | None):
        if not name:
            return None
        key = name.strip().upper()
        airspaces = self.airspaces
        if airspaces is not None:
            if key in airspaces:
                return airspaces.get(key).geometry
            for airspace in airspaces:
                plain = unicodedata.normalize("NFKD", airspace.name).encode("ascii", "ignore")
                if plain.decode().upper() == key:
                    return airspace.geometry
            codes = [w for w in re.findall(r"\b[A-Z]{4}\b", key) if w in airspaces]
            if codes:
                return airspaces.get(codes[0]).geometry
        countries = bundled_countries()
        written = countries.named_in(key)
        area = countries.area(written) if written else None
        if area is None:
            return None
        if area.problem() not in self.notes:
            self.notes.append(area.problem())
        return area.geometry


def fir_lookup(airspaces: AirspaceRegistry | None) -> BoundaryLookup:
    """A function: FIR code or name (``SVZM``, ``MAIQUETIA``) or state → its outline, or None."""
    return BoundaryLookup(airspaces)


def read_body_areas(
    text: str,
    qline: tuple[float, float, float] | None,
    fir: str | None,
    whole_fir: bool,
    airspaces: AirspaceRegistry | None,
    navaid_states: frozenset[str] = frozenset(),
) -> GeometryReading:
    """The areas a NOTAM body describes, with its FIR's outline, a state named as the area
    and boundary legs resolved; a state's outline used for a leg is reported."""
    fir_geometry = None
    if fir and airspaces is not None and fir in airspaces:
        fir_geometry = airspaces.get(fir).geometry
    # a state named as the area ("WITHIN VENEZUELA") when no FIR is named
    country = None if whole_fir else bundled_countries().named_as_area(text.upper())
    lookup = fir_lookup(airspaces)
    reading = read_geometry(
        text,
        qline=qline,
        fir_geometry=fir_geometry,
        whole_fir=whole_fir,
        fir_lookup=lookup,
        country=country,
        navaid_states=navaid_states,
    )
    if reading.has(AreaKind.ALONG_BOUNDARY):
        reading.problems += [n for n in lookup.notes if n not in reading.problems]
    return reading


def area_dicts(reading: GeometryReading) -> tuple[dict[str, Any], ...]:
    """Each area drawn, as the ``Notam.areas`` mappings (label, kind, GeoJSON)."""
    return tuple({"label": label, "kind": kind, "geometry": g} for label, g, kind in reading.areas)
