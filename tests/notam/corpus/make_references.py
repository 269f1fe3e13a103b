"""Write ``references.json``: NOTAM texts that place areas by reference, each with its area.

Run ``python -m tests.notam.corpus.make_references`` (deterministic; the output is committed).

Three forms the generator of ``generated.jsonl`` does not write:

* a state named as the area (``WITHIN VENEZUELA``, ``THE TERRITORY OF IRAN``,
  ``IRAQI AIRSPACE``) or as a boundary leg (``ALONG THE VENEZUELA/COLOMBIA BORDER``);
  firwatch has no national borders, so the area each must give is the union of the
  state's FIRs, listed here by hand per entry (from ``seeds/world/firs-world.geojson``):
  these entries check the reading, not how well FIRs stand for a border;
* positions by bearing and distance from a navaid (``045 DEG MAG 25NM FROM VOR MIQ``,
  ``MIQ R045 D25``, ``ORL045010``, ``POS VOR/DME RADIAL 100 DME 30``): the navaid's
  position and variation are read here from ``seeds/world/navaids.csv`` and the point
  is computed on a sphere; radials are magnetic (true = radial + variation east);
* signed decimal degrees (``-16.50 -68.20``, ``10.5,-66.9``).

Nothing from ``service/`` is imported; shapes come from ``make_corpus`` (spherical).
"""

from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

from tests.notam.corpus.make_corpus import (
    FIRS,
    NM_KM,
    _dms,
    azimuth,
    destination,
    equirect_buffer,
    haversine_km,
    sphere_circle,
)

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
PROVENANCE = "written by make_references.py for this project (forms: see its docstring)"


def _world_firs() -> dict[str, shapely.Geometry]:
    whole: dict[str, list] = {}
    sectors: dict[str, list] = {}
    data = json.loads((ROOT / "seeds" / "world" / "firs-world.geojson").read_text())
    for f in data["features"]:
        p = f["properties"]
        (sectors if p.get("sector") else whole).setdefault(p["icao"], []).append(
            shapely.make_valid(shape(f["geometry"]))
        )
    return {c: shapely.union_all(whole.get(c) or sectors[c]) for c in set(whole) | set(sectors)}


WORLD = _world_firs()
NAVAIDS: dict[tuple[str, str], tuple[float, float, float]] = {}
with (ROOT / "seeds" / "world" / "navaids.csv").open(encoding="utf-8") as handle:
    for row in csv.DictReader(line for line in handle if not line.startswith("#")):
        key = (row["ident"], row["country"] + ":" + row["type"])
        NAVAIDS[key] = (float(row["lon"]), float(row["lat"]), float(row["variation_deg"] or 0))


def navaid(ident: str, where: str) -> tuple[float, float, float]:
    """(lon, lat, variation east) of one navaid, ``where`` = ``"VE:VOR-DME"``."""
    return NAVAIDS[(ident, where)]


def frd(station: tuple[float, float, float], bearing: float, nm: float, true: bool = False):
    lon, lat, variation = station
    return destination(lon, lat, bearing + (0.0 if true else variation), nm * NM_KM)


def dm(lon: float, lat: float) -> str:
    return (
        f"{_dms(lat, 2, False)}{'N' if lat >= 0 else 'S'}"
        f"{_dms(lon, 3, False)}{'E' if lon >= 0 else 'W'}"
    )


def qline(fir: str, geom: shapely.Geometry, qcode: str = "QRDCA", radius: int | None = None):
    c = geom.envelope.centroid
    if radius is None:
        far = max(haversine_km(c.x, c.y, x, y) for x, y in shapely.get_coordinates(geom))
        radius = min(999, math.ceil(far / NM_KM) + 1)
    return f"{fir}/{qcode}/IV/BO/W/000/100/{dm(c.x, c.y)}{radius:03d}"


def icao(n: int, fir: str, geom, item_e: str, qcode: str = "QRDCA", radius=None) -> str:
    return (
        f"(R{n:04d}/26 NOTAMN\nQ) {qline(fir, geom, qcode, radius)}\nA) {fir} "
        f"B) 2607010600 C) 2607311800\nE) {item_e}\nF) SFC G) FL100)"
    )


def entry(eid: str, tags: list[str], text: str, geoms: list) -> dict:
    return {
        "id": eid,
        "tags": tags,
        "text": text,
        "expected": {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {}, "geometry": mapping(g)} for g in geoms
            ],
        },
        "provenance": PROVENANCE,
    }


def union(*codes: str) -> shapely.Geometry:
    return shapely.union_all([WORLD[c] for c in codes])


def circle(lon: float, lat: float, km: float) -> shapely.Polygon:
    return shapely.Polygon(sphere_circle(lon, lat, km))


def country_entries() -> list[dict]:
    forms = [
        (
            "within",
            "SVZM",
            ["SVZM"],
            "ALL CIVIL FLIGHTS PROHIBITED WITHIN VENEZUELA DUE TO MIL ACT.",
        ),
        (
            "territory_of",
            "OIIX",
            ["OIIX", "TEH"],
            "DUE TO SECURITY SITUATION ALL FLIGHTS OVER THE TERRITORY OF IRAN ARE SUSPENDED.",
        ),
        (
            "airspace_of_formal",
            "OIIX",
            ["OIIX", "TEH"],
            "THE AIRSPACE OF THE ISLAMIC REPUBLIC OF IRAN IS CLOSED TO ALL CIVIL TRAFFIC.",
        ),
        ("adjective_airspace", "ORBB", ["ORBB"], "IRAQI AIRSPACE CLOSED TO ALL TRAFFIC UFN."),
        (
            "airspace_of",
            "OJAC",
            ["OJAC"],
            "THE AIRSPACE OF JORDAN IS CLOSED DUE TO REGIONAL EVENTS.",
        ),
        ("within", "SYGC", ["SYGC"], "UNMANNED ACFT OPS PROHIBITED WITHIN GUYANA."),
        ("adjective_airspace", "OLBB", ["OLBB"], "LEBANESE AIRSPACE CLOSED EXC STATE ACFT."),
        (
            "within_territory_wrapped",
            "SVZM",
            ["SVZM"],
            "OPERATORS ARE ADVISED THAT FLIGHTS WITHIN THE TERRITORY OF\nVENEZUELA REQUIRE PRIOR "
            "PERMISSION.",
        ),
        (
            "over",
            "SKED",
            ["SKCL", "SKEC", "SKED", "SKMD"],
            "DUE TO ELECTIONS GA FLIGHTS OVER COLOMBIA RESTRICTED TO IFR.",
        ),
        ("adjective_airspace", "OSTT", ["OSTT"], "SYRIAN AIRSPACE CLOSED."),
    ]
    out = []
    for k, (form, fir, firs, item_e) in enumerate(forms, 1):
        geom = union(*firs)
        text = icao(100 + k, fir, geom, item_e, "QAFLC", radius=999)
        out.append(entry(f"R{100 + k:03d}", ["country", f"form:country_{form}"], text, [geom]))
    return out


def _inner(polygon: shapely.Geometry, run: list) -> tuple[float, float]:
    """A vertex inside the FIR next to the leg, on whole minutes."""
    mid = shapely.LineString(run).interpolate(0.5, normalized=True)
    inner = polygon.representative_point()
    p = (mid.x + (inner.x - mid.x) * 0.15, mid.y + (inner.y - mid.y) * 0.15)
    return round(p[0] * 60) / 60, round(p[1] * 60) / 60


def _leg(code: str, west: float, east: float, south: float, north: float, count: int):
    """A run of ``count`` vertices of the FIR's outline inside a box, in ring order."""
    fir = FIRS[code][1]
    polygon = max(getattr(fir, "geoms", [fir]), key=lambda p: p.area)
    ring = list(polygon.exterior.coords)[:-1]
    inside = [west <= x <= east and south <= y <= north for x, y in ring]
    for start in range(len(ring)):
        run = [ring[(start + j) % len(ring)] for j in range(count)]
        if not all(inside[(start + j) % len(ring)] for j in range(count)):
            continue
        p = _inner(polygon, run)
        area = shapely.Polygon([*run, p])
        if area.is_valid and area.area > 0 and fir.buffer(1e-6).contains(area):
            return polygon, run, p
    raise RuntimeError(f"no run of {count} vertices of {code} in the box")


def boundary_entries() -> list[dict]:
    forms = [
        ("ALONG THE VENEZUELA/COLOMBIA BORDER", (-73.5, -70.5, 6.5, 11.5)),
        ("ALONG THE BOUNDARY OF VENEZUELA", (-73.5, -70.5, 6.5, 11.5)),
        ("ALONG THE VENEZUELA-GUYANA BORDER", (-62.0, -59.5, 4.0, 9.0)),
        ("ALONG THE STATE BOUNDARY", (-73.5, -70.5, 6.5, 11.5)),
        ("ALONG THE BORDER WITH COLOMBIA", (-72.6, -71.5, 6.5, 8.5)),
    ]
    out = []
    for k, (wording, box) in enumerate(forms, 1):
        _, run, p = _leg("SVZM", *box, count=4)
        a, b = run[0], run[-1]
        a_t, b_t = [f"{_dms(y, 2, True)}N{_dms(-x, 3, True)}W" for x, y in (a, b)]
        p_t = dm(*p)
        geom = shapely.Polygon([a, *run[1:-1], b, p])
        item_e = f"RESTRICTED AREA: {a_t} THENCE {wording} TO {b_t} THENCE TO {p_t} TO {a_t}."
        text = icao(200 + k, "SVZM", geom, item_e)
        tags = ["boundary", "polygon", "form:state_boundary" if k == 4 else "country_boundary"]
        out.append(entry(f"R{200 + k:03d}", tags, text, [geom]))
    return out


def navaid_entries() -> list[dict]:
    miq = navaid("MIQ", "VE:VOR-DME")
    miq_ndb = navaid("MIQ", "VE:NDB")
    pos = navaid("POS", "TT:VOR-DME")
    sju = navaid("SJU", "PR:VORTAC")
    orl = navaid("ORL", "US:VORTAC")
    out = []

    def add(k: int, form: str, item_e: str, geoms: list, fir: str = "SVZM", extra=()):
        text = icao(300 + k, fir, shapely.union_all(geoms), item_e)
        out.append(entry(f"R{300 + k:03d}", ["navaid", f"form:{form}", *extra], text, geoms))

    c = frd(miq, 45, 25)
    add(
        1,
        "bearing_mag_from_vor",
        "DANGER AREA RADIUS 10NM CENTRED ON 045 DEG MAG 25NM FROM VOR MIQ.",
        [circle(*c, 10 * NM_KM)],
        extra=["circle"],
    )
    pts = [frd(miq, 45, 25), frd(miq, 90, 25), frd(miq, 135, 10)]
    add(
        2,
        "radial_dme",
        "DANGER AREA WI MIQ R045 D25 - MIQ R090 D25 - MIQ R135 D10 - BACK TO START.",
        [shapely.Polygon(pts)],
        extra=["polygon"],
    )
    pts = [frd(miq, 10, 30), frd(miq, 50, 30), frd(miq, 50, 15), frd(miq, 10, 15)]
    add(
        3,
        "radial_slash_dme",
        "MIL EXER AREA WI MIQ VOR R010/D30NM - MIQ VOR R050/D30NM - "
        "MIQ VOR R050/D15NM - MIQ VOR R010/D15NM.",
        [shapely.Polygon(pts)],
        extra=["polygon"],
    )
    c = frd(pos, 100, 30)
    add(
        4,
        "vor_radial_dme_words",
        "DANGER AREA RADIUS 5NM CENTRED ON POS VOR/DME RADIAL 100 DME 30.",
        [circle(*c, 5 * NM_KM)],
        fir="TTZP",
        extra=["circle"],
    )
    c = frd(sju, 45, 25)
    add(
        5,
        "distance_first",
        "ROCKET LAUNCH AREA 8NM RADIUS CENTRED ON 25NM 045 DEG MAG FROM SJU VORTAC.",
        [circle(*c, 8 * NM_KM)],
        fir="TJZS",
        extra=["circle"],
    )
    given = (-66.0, 10.5, 0.0)
    c = frd(given, 90, 20, true=True)
    add(
        6,
        "navaid_position_in_text",
        "DANGER AREA RADIUS 5NM CENTRED ON 090 DEG TRUE 20NM FROM QZX VOR (103000N0660000W).",
        [circle(*c, 5 * NM_KM)],
        extra=["circle"],
    )
    c = frd(miq, 200, 15)
    add(
        7,
        "bearing_unqualified",
        "PARACHUTE DROPPING WI 3NM RADIUS OF 200 DEG 15NM FROM MIQ VOR.",
        [circle(*c, 3 * NM_KM)],
        extra=["circle"],
    )
    line = [frd(miq, 270, 10), frd(miq, 90, 40)]
    add(
        8,
        "corridor_between_radials",
        "TRANSIT CORRIDOR 5NM EITHER SIDE OF A LINE FROM MIQ R270 D10 TO MIQ R090 D40.",
        [equirect_buffer(line, 5 * NM_KM)],
        extra=["corridor"],
    )
    start, end = frd(miq, 360, 20), frd(miq, 90, 20)
    a0, a1 = azimuth(miq[0], miq[1], *start), azimuth(miq[0], miq[1], *end)
    sweep = (a1 - a0) % 360
    arc = [destination(miq[0], miq[1], a0 + sweep * j / 60, 20 * NM_KM) for j in range(1, 60)]
    add(
        9,
        "arc_centred_on_navaid",
        "WI MIQ VOR/DME - MIQ R360 D20 THEN CLOCKWISE ARC RADIUS 20NM "
        "CENTRED ON MIQ VOR/DME TO MIQ R090 D20 - MIQ VOR/DME.",
        [shapely.Polygon([miq[:2], start, *arc, end])],
        extra=["arc"],
    )
    c = frd(miq_ndb, 180, 10)
    add(
        10,
        "ndb",
        "RADIUS 3NM CENTRED ON 180 DEG MAG 10NM FROM NDB MIQ.",
        [circle(*c, 3 * NM_KM)],
        extra=["circle"],
    )
    add(
        11,
        "centred_on_navaid",
        "UAS OPS WI 5NM RADIUS OF THE MIQ VOR/DME.",
        [circle(*miq[:2], 5 * NM_KM)],
        extra=["circle"],
    )
    add(
        14,
        "within_distance_of_navaid",
        "UAS PROHIBITED WITHIN 3NM OF THE POS VOR/DME.",
        [circle(*pos[:2], 3 * NM_KM)],
        fir="TTZP",
        extra=["circle"],
    )
    # a navaid missing from the bundled list: the area cannot be drawn, and says so
    add(
        12,
        "unknown_navaid",
        "DANGER AREA RADIUS 5NM CENTRED ON 090 DEG MAG 20NM FROM QZW VOR.",
        [circle(*destination(-66.5, 10.4, 80, 20 * NM_KM), 5 * NM_KM)],
        extra=["circle", "expected_miss"],
    )
    c = frd(orl, 45, 10)
    text = (
        "!FDC 6/2001 ZJX FL..AIRSPACE ORLANDO, FL..TEMPORARY FLIGHT RESTRICTIONS WI AN AREA "
        "DEFINED AS 3NM RADIUS OF ORL045010 SFC-3000FT 2607011200-2607012000"
    )
    out.append(
        entry(
            "R313",
            ["navaid", "form:faa_fix_radial_distance", "format:faa_domestic", "circle"],
            text,
            [circle(*c, 3 * NM_KM)],
        )
    )
    return out


def signed_entries() -> list[dict]:
    out = []

    def add(k: int, form: str, fir: str, item_e: str, geom, extra=()):
        text = icao(400 + k, fir, geom, item_e)
        out.append(
            entry(f"R{400 + k:03d}", ["coord:signed_decimal", f"form:{form}", *extra], text, [geom])
        )

    add(
        1,
        "signed_space_polygon",
        "SLLF",
        "DANGER AREA WI -16.50 -68.20 - -16.40 -68.00 - -16.60 -67.90 - -16.50 -68.20.",
        shapely.Polygon([(-68.2, -16.5), (-68.0, -16.4), (-67.9, -16.6)]),
        extra=["polygon"],
    )
    add(
        2,
        "comma_circle",
        "SVZM",
        "RESTRICTED AREA RADIUS 5NM CENTRED ON 10.5,-66.9.",
        circle(-66.9, 10.5, 5 * NM_KM),
        extra=["circle"],
    )
    add(
        3,
        "comma_semicolon_list",
        "SVZM",
        "TEMPORARY RESTRICTED AREA WI 10.50,-66.90; 10.60,-66.80; 10.45,-66.70; 10.50,-66.90.",
        shapely.Polygon([(-66.9, 10.5), (-66.8, 10.6), (-66.7, 10.45)]),
        extra=["polygon"],
    )
    add(
        4,
        "plus_sign_padded",
        "SVZM",
        "DANGER AREA WI +10.25 -066.75 - +10.35 -066.60 - +10.15 -066.55 - +10.25 -066.75.",
        shapely.Polygon([(-66.75, 10.25), (-66.6, 10.35), (-66.55, 10.15)]),
        extra=["polygon"],
    )
    add(
        5,
        "southern_eastern",
        "YMMM",
        "MODEL ACFT OPS RADIUS 3KM CENTRED ON -33.95 151.18.",
        circle(151.18, -33.95, 3.0),
        extra=["circle"],
    )
    add(
        6,
        "comma_wrapped",
        "SVZM",
        "DANGER AREA WI 10.50, -66.90;\n10.60, -66.80;\n10.45, -66.70; BACK TO START.",
        shapely.Polygon([(-66.9, 10.5), (-66.8, 10.6), (-66.7, 10.45)]),
        extra=["polygon", "wrapped:words"],
    )
    add(
        7,
        "comma_corridor",
        "SVZM",
        "UAS CORRIDOR 2NM EITHER SIDE OF A LINE FROM 10.5,-66.9 TO 10.7,-66.5.",
        equirect_buffer([(-66.9, 10.5), (-66.5, 10.7)], 2 * NM_KM),
        extra=["corridor"],
    )
    return out


def build() -> list[dict]:
    random.seed(0)  # nothing random is drawn; kept so a future draw stays reproducible
    return country_entries() + boundary_entries() + navaid_entries() + signed_entries()


def main() -> None:
    entries = build()
    out = HERE / "references.json"
    out.write_text(json.dumps(entries, ensure_ascii=False, indent=1) + "\n")
    print(f"{len(entries)} entries -> {out}")


if __name__ == "__main__":
    main()
