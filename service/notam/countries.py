"""A state named in NOTAM text (``WITHIN VENEZUELA``, ``THE TERRITORY OF IRAN``) → an area.

firwatch bundles no national borders, so a state's area is approximated by the union of
its FIRs in the bundled world FIR data (``seeds/world/firs-world.geojson``, VAT-Spy): the
FIRs whose airports lie mostly in that state, the same derivation as the domestic
address blocks (:func:`service.geo.world.fir_states`, here with countries, not
registers), oceanic FIRs left out.  FIR limits run over the sea and do not always follow
the border, so every area drawn this way carries a ``geometry.country_by_firs`` problem
naming the FIRs used.

Names: ISO 3166-1 codes and names from ``seeds/world/countries.csv`` (OurAirports, public
domain), the ICAO Annex 10 state names of ``icao24-blocks.csv``, and the formal and
adjective forms NOTAMs use (:data:`ALIASES`).
"""

from __future__ import annotations

import csv
import functools
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from service.notam.problems import Problem, ProblemCode

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
# formal names and adjectives written in NOTAMs that neither name list has
ALIASES = {
    "ISLAMIC REPUBLIC OF IRAN": "IR",
    "IRANIAN": "IR",
    "PERSIA": "IR",
    "BOLIVARIAN REPUBLIC OF VENEZUELA": "VE",
    "VENEZUELAN": "VE",
    "UNITED STATES OF AMERICA": "US",
    "USA": "US",
    "UNITED KINGDOM OF GREAT BRITAIN": "GB",
    "HASHEMITE KINGDOM OF JORDAN": "JO",
    "JORDANIAN": "JO",
    "STATE OF ISRAEL": "IL",
    "ISRAELI": "IL",
    "REPUBLIC OF IRAQ": "IQ",
    "IRAQI": "IQ",
    "SYRIA": "SY",
    "SYRIAN": "SY",
    "RUSSIA": "RU",
    "RUSSIAN": "RU",
    "UKRAINIAN": "UA",
    "TURKEY": "TR",
    "TURKIYE": "TR",
    "LEBANESE": "LB",
    "LIBYAN": "LY",
    "YEMENI": "YE",
    "SUDANESE": "SD",
    "PAKISTANI": "PK",
    "INDIAN": "IN",
    "AFGHAN": "AF",
    "BELARUSIAN": "BY",
    "MOLDOVAN": "MD",
    "MOLDOVA": "MD",
    "NORTH KOREA": "KP",
    "DPRK": "KP",
    "SOUTH KOREA": "KR",
    "COLOMBIAN": "CO",
    "GUYANESE": "GY",
    "BRAZILIAN": "BR",
    "CURACAO": "CW",
    "KOSOVO": "XK",
}
# "WITHIN VENEZUELA", "OVER THE TERRITORY OF IRAN", "IRANIAN AIRSPACE", "AIRSPACE OF IRAQ"
_BEFORE = (
    r"(?:WITHIN|INSIDE|OVER|THROUGHOUT|ACROSS)\s+(?:THE\s+)?(?:(?:ENTIRE|WHOLE)\s+)?"
    r"(?:(?:NATIONAL\s+|SOVEREIGN\s+|TERRITORIAL\s+)?(?:TERRITORY|AIRSPACE)\s+OF\s+(?:THE\s+)?)?"
    r"|(?:TERRITORY|AIRSPACE)\s+OF\s+(?:THE\s+)?"
)
_AFTER = r"\s+(?:NATIONAL\s+|SOVEREIGN\s+|TERRITORIAL\s+)?(?:AIRSPACE|TERRITORY)\b"


@dataclass(frozen=True, slots=True)
class CountryArea:
    code: str  # ISO 3166-1 alpha-2
    written: str  # the name as the text wrote it
    firs: tuple[str, ...]
    geometry: BaseGeometry

    def problem(self) -> Problem:
        return Problem(
            ProblemCode.COUNTRY_BY_FIRS,
            f"{self.written} ({self.code}): state boundary approximated by the union of its "
            f"FIRs ({', '.join(self.firs)}) in the bundled VAT-Spy FIR data",
        )


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper().strip()


class Countries:
    """Country names → ISO codes, and ISO codes → the FIRs whose union stands for the state."""

    def __init__(
        self,
        names: dict[str, str],
        firs: dict[str, tuple[str, ...]],
        geometries: dict[str, BaseGeometry],
    ):
        self.names = names
        self.firs = firs
        self.geometries = geometries
        self._unions: dict[str, BaseGeometry] = {}  # code → union (a benign race at worst)
        listed = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        self._name = re.compile(rf"(?<![A-Z])(?P<name>{listed})(?![A-Z])")
        self._area = re.compile(
            rf"(?:(?<![A-Z])(?:{_BEFORE})(?P<n1>{listed})(?![A-Z])"
            rf"|(?<![A-Z])(?P<n2>{listed}){_AFTER})"
        )

    def area(self, written: str) -> CountryArea | None:
        """The area of a state by a name as written, or None (unknown name, or no FIR)."""
        code = self.names.get(_plain(written))
        firs = self.firs.get(code or "", ())
        if not firs:
            return None
        geometry = self._unions.get(code)  # type: ignore[arg-type]
        if geometry is None:
            geometry = shapely.union_all([self.geometries[f] for f in firs])
            self._unions[code] = geometry  # type: ignore[index]
        return CountryArea(code, _plain(written), firs, geometry)  # type: ignore[arg-type]

    def named_as_area(self, text: str) -> CountryArea | None:
        """The state a text names as the area (``WITHIN X``, ``TERRITORY OF X``, ``X AIRSPACE``)."""
        m = self._area.search(text)
        return self.area(m["n1"] or m["n2"]) if m else None

    def named_in(self, text: str) -> str | None:
        """The first state name anywhere in ``text`` (for boundary legs: ``VENEZUELA/COLOMBIA``)."""
        m = self._name.search(text)
        return m["name"] if m else None


def _read_names(seeds: Path) -> dict[str, str]:
    names: dict[str, str] = {}
    with (seeds / "world" / "countries.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            names[_plain(row["name"])] = row["code"]
    with (seeds / "world" / "icao24-blocks.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            names.setdefault(_plain(row["name"]), row["state"])
    names.update(ALIASES)
    return {n: c for n, c in names.items() if len(n) >= 4 or n in ALIASES}


def load_countries(seeds: Path = SEEDS) -> Countries:
    """Names and FIRs per state from a seeds folder (needs the world FIR data)."""
    import airportsdata

    from service.geo.world import AddressBlocks, fir_states, load_world_firs

    firs = [f for f in load_world_firs(seeds / "world" / "firs-world.geojson") if not f.oceanic]
    airports = (
        (code, float(a["lon"]), float(a["lat"]), a["country"])
        for code, a in airportsdata.load("ICAO").items()
        if a["iata"]
    )
    # countries, not registers: an empty block table maps every country to itself
    states = fir_states(firs, airports, AddressBlocks([], {}))
    by_state: dict[str, list[str]] = {}
    for fir, codes in states.items():
        for code in codes:
            by_state.setdefault(code, []).append(fir)
    return Countries(
        _read_names(seeds),
        {code: tuple(sorted(f)) for code, f in by_state.items()},
        {f.icao: f.geometry for f in firs},
    )


_LOCK = threading.Lock()


@functools.cache
def _bundled() -> Countries:
    return load_countries(SEEDS)


def bundled_countries() -> Countries:
    """The bundled data, read on first use (about a second: the world FIRs and airports)."""
    with _LOCK:
        return _bundled()
