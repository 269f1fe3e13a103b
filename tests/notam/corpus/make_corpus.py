"""Write ``generated.jsonl``: NOTAM texts in every written form, each with the area it must give.

Run ``python tests/notam/corpus/make_corpus.py`` (seeded; the output is committed).

The expected areas are computed here from the numeric vertices, independently
of the parser: nothing from ``service.notam`` is imported.  Circles and arcs
use a spherical Earth (mean radius), corridors a local equirectangular frame,
boundary legs the FIR's own vertices from ``seeds/firs.geojson``; the parser
uses the WGS84 ellipsoid and a local azimuthal projection instead, so the two
differ by a few hundred metres at most on the sizes used here (radii and
half-widths up to 50 NM), well inside the 1 km the corpus test allows.

The texts are modelled on the forms found in ICAO Doc 8126 examples and in
national AIP supplements and NOTAMs (danger/restricted areas, TFRs, military
exercise areas); none is copied from a real NOTAM.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import textwrap
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
EARTH_KM = 6371.0088
NM_KM = 1.852
SEED = 20261201

FIRS = {
    f["properties"]["icao"]: (f["properties"]["name"], shapely.make_valid(shape(f["geometry"])))
    for f in json.loads((ROOT / "seeds" / "firs.geojson").read_text())["features"]
}
FIR_NAMES = {  # plain names as a text would write them (only the unambiguous ones)
    "SVZM": "MAIQUETIA",
    "TNCF": "CURACAO",
    "SKED": "BOGOTA",
    "TJZS": "SAN JUAN",
    "MDCS": "SANTO DOMINGO",
    "SYGC": "GEORGETOWN",
    "SMPM": "PARAMARIBO",
    "MKJK": "KINGSTON",
    "MPZL": "PANAMA",
    "KZMA": "MIAMI",
}


# -- spherical geometry, written here on purpose (not the parser's) ---------------------------
def destination(lon: float, lat: float, azimuth_deg: float, km: float) -> tuple[float, float]:
    phi1, lam1, theta, delta = (
        math.radians(lat),
        math.radians(lon),
        math.radians(azimuth_deg),
        km / EARTH_KM,
    )
    phi2 = math.asin(
        math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
    )
    lam2 = lam1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1),
        math.cos(delta) - math.sin(phi1) * math.sin(phi2),
    )
    return (math.degrees(lam2) + 540) % 360 - 180, math.degrees(phi2)


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(a))


def azimuth(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360


def sphere_circle(lon: float, lat: float, km: float, n: int = 180) -> list[tuple[float, float]]:
    return [destination(lon, lat, 360 * i / n, km) for i in range(n)]


def equirect_buffer(line: list[tuple[float, float]], half_km: float) -> shapely.Polygon:
    lat0 = sum(p[1] for p in line) / len(line)
    lon0 = sum(p[0] for p in line) / len(line)
    kx = math.radians(1) * EARTH_KM * math.cos(math.radians(lat0))
    ky = math.radians(1) * EARTH_KM
    local = shapely.LineString([((x - lon0) * kx, (y - lat0) * ky) for x, y in line])
    band = local.buffer(half_km, quad_segs=32)
    return shapely.Polygon([(x / kx + lon0, y / ky + lat0) for x, y in band.exterior.coords])


# -- writing positions ---------------------------------------------------------------------------
def _dms(value: float, deg_digits: int, seconds: bool, decimals: int = 0) -> str:
    """Degrees as DD(D)MM[SS][.d], from integer units so that nothing rounds up to 60."""
    scale = 10**decimals
    unit = (3600 if seconds else 60) * scale
    total = round(abs(value) * unit)
    d, rest = divmod(total, unit)
    if seconds:
        m, s = divmod(rest, 60 * scale)
        frac = f"{s // scale:02d}" + (f".{s % scale:0{decimals}d}" if decimals else "")
        return f"{d:0{deg_digits}d}{m:02d}{frac}"
    m = rest
    frac = f"{m // scale:02d}" + (f".{m % scale:0{decimals}d}" if decimals else "")
    return f"{d:0{deg_digits}d}{frac}"


def snap(value: float, step_deg: float) -> float:
    return round(value / step_deg) * step_deg


STYLES = {
    # name: (snap step in degrees, writer(lon, lat) -> text)
    "dms": (
        1 / 3600,
        lambda lo, la, sep: (
            f"{_dms(la, 2, True)}{'N' if la >= 0 else 'S'}{sep}"
            f"{_dms(lo, 3, True)}{'E' if lo >= 0 else 'W'}"
        ),
    ),
    "dm": (
        1 / 60,
        lambda lo, la, sep: (
            f"{_dms(la, 2, False)}{'N' if la >= 0 else 'S'}{sep}"
            f"{_dms(lo, 3, False)}{'E' if lo >= 0 else 'W'}"
        ),
    ),
    "hemisphere_first_dms": (
        1 / 3600,
        lambda lo, la, sep: (
            f"{'N' if la >= 0 else 'S'}"
            f"{_dms(la, 2, True)}{sep}{'E' if lo >= 0 else 'W'}{_dms(lo, 3, True)}"
        ),
    ),
    "hemisphere_first_dm": (
        1 / 60,
        lambda lo, la, sep: (
            f"{'N' if la >= 0 else 'S'}"
            f"{_dms(la, 2, False)}{sep}{'E' if lo >= 0 else 'W'}{_dms(lo, 3, False)}"
        ),
    ),
    "decimal_minutes": (
        1 / 6000,
        lambda lo, la, sep: (
            f"{_dms(la, 2, False, 2)}"
            f"{'N' if la >= 0 else 'S'}{sep}{_dms(lo, 3, False, 2)}{'E' if lo >= 0 else 'W'}"
        ),
    ),
    "decimal_seconds": (
        1 / 36000,
        lambda lo, la, sep: (
            f"{_dms(la, 2, True, 1)}"
            f"{'N' if la >= 0 else 'S'}{sep}{_dms(lo, 3, True, 1)}{'E' if lo >= 0 else 'W'}"
        ),
    ),
    "spaced_dms": (
        1 / 3600,
        lambda lo, la, sep: (
            " ".join([_dms(la, 2, True)[:2], _dms(la, 2, True)[2:4], _dms(la, 2, True)[4:]])
            + ("N " if la >= 0 else "S ")
            + " ".join([_dms(lo, 3, True)[:3], _dms(lo, 3, True)[3:5], _dms(lo, 3, True)[5:]])
            + ("E" if lo >= 0 else "W")
        ),
    ),
    "symbols_dms": (
        1 / 3600,
        lambda lo, la, sep: (
            f"{_dms(la, 2, True)[:2]}°{_dms(la, 2, True)[2:4]}'{_dms(la, 2, True)[4:]}\""
            f"{'N' if la >= 0 else 'S'} {_dms(lo, 3, True)[:3]}°{_dms(lo, 3, True)[3:5]}'"
            f'{_dms(lo, 3, True)[5:]}"{"E" if lo >= 0 else "W"}'
        ),
    ),
    "decimal_degrees": (
        1e-4,
        lambda lo, la, sep: (
            f"{abs(la):.4f}{'N' if la >= 0 else 'S'}{sep or ' '}"
            f"{abs(lo):.4f}{'E' if lo >= 0 else 'W'}"
        ),
    ),
    "decimal_degrees_first": (
        1e-4,
        lambda lo, la, sep: (
            f"{'N' if la >= 0 else 'S'}{abs(la):.4f} {'E' if lo >= 0 else 'W'}{abs(lo):.4f}"
        ),
    ),
}
# whether a style's text rounds exactly to its snap (decimal minutes: 2 decimals of a minute)
PAIR_SEPARATORS = ["", "", " ", "-", "/"]


class Writer:
    def __init__(self, rng: random.Random, style: str):
        self.rng, self.style = rng, style
        self.step, self.fn = STYLES[style]
        self.sep = (
            rng.choice(PAIR_SEPARATORS)
            if style in ("dms", "dm", "decimal_seconds")
            else (rng.choice(["", " "]) if style.startswith("hemisphere") else "")
        )

    def snap(self, lon: float, lat: float) -> tuple[float, float]:
        # snap in minutes/seconds units, then read back what the text will say
        return snap(lon, self.step), snap(lat, self.step)

    def text(self, lon: float, lat: float) -> str:
        return self.fn(lon, lat, self.sep)


def qline(fir: str, geom: shapely.Geometry, rng: random.Random, qcode: str) -> str:
    c = geom.envelope.centroid
    lon, lat = c.x, c.y
    far = max(haversine_km(lon, lat, x, y) for x, y in shapely.get_coordinates(geom))
    radius = min(999, math.ceil(far / NM_KM) + 1)
    lat_t = f"{_dms(lat, 2, False)}{'N' if lat >= 0 else 'S'}"
    lon_t = f"{_dms(lon, 3, False)}{'E' if lon >= 0 else 'W'}"
    return f"{fir}/{qcode}/IV/BO/W/000/{rng.choice(['050', '100', '195', '245', '999'])}/{lat_t}{lon_t}{radius:03d}"


def icao(number: str, q: str, location: str, item_e: str, rng: random.Random) -> str:
    lower, upper = rng.choice(
        [("SFC", "UNL"), ("GND", "FL100"), ("SFC", "5000FT AMSL"), ("FL050", "FL245")]
    )
    start = f"26{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 23):02d}00"
    end = f"27{start[2:]}"
    return (
        f"({number} NOTAMN\nQ) {q}\nA) {location} B) {start} C) {end}\nE) {item_e}\n"
        f"F) {lower} G) {upper})"
    )


def wrap(text: str, rng: random.Random, mode: str) -> str:
    width = rng.randint(38, 69)
    if mode == "teletype":  # a fixed-width line, cut wherever the width falls
        return "\n".join(text[i : i + width] for i in range(0, len(text), width))
    return textwrap.fill(text, width, break_long_words=True, break_on_hyphens=mode == "hyphens")


# -- the shapes ----------------------------------------------------------------------------------
def star_polygon(rng: random.Random, lon: float, lat: float, n: int, km: tuple[float, float]):
    angles = sorted(rng.uniform(0, 360) for _ in range(n))
    while min((b - a) % 360 for a, b in zip(angles, angles[1:] + angles[:1], strict=True)) < 12:
        angles = sorted(rng.uniform(0, 360) for _ in range(n))
    return [destination(lon, lat, a, rng.uniform(*km)) for a in angles]


def centre(rng: random.Random) -> tuple[float, float]:
    if rng.random() < 0.3:  # the Caribbean, where firwatch looks
        return rng.uniform(-75, -60), rng.uniform(8, 18)
    return rng.uniform(-170, 170), rng.uniform(-55, 65)


POLYGON_TEMPLATES = [
    ("wi_area", "TEMPORARY RESTRICTED AREA ACTIVATED WI AREA {pts}.", " - "),
    ("bounded_by", "DANGER AREA ACT. AREA BOUNDED BY {pts}", "-"),
    ("lateral_limits", "MIL EXER WILL TAKE PLACE. LATERAL LIMITS: {pts}", " - "),
    ("back_to_start", "AIRSPACE RESERVED WI {pts} BACK TO START.", " "),
    ("glued_back_to_start", "AIRSPACE CLSD TO CIVIL TFC WI {pts}BACK TO START.", "-"),
    ("comma_back_to_start", "PROHIBITED AREA WI {pts},BACK TO START", ","),
    ("lines_joining", "UAS FLYING IN AN AREA BOUNDED BY LINES JOINING {pts} AND {first}", " TO "),
    ("polygon_word", "ROCKET LAUNCH. HAZARD AREA WI POLYGON {pts}", " "),
    ("thence", "AREA: {pts} THENCE TO POINT OF ORIGIN", " THENCE "),
    ("newline_list", "FIRING AREA WI:\n{pts}", "\n"),
]
POINT_LABEL_TEMPLATES = [
    (
        "point_abc",
        "TEMPO DANGER AREA DEFINED BY POINTS: {pts}, POINT A.",
        "POINT {label} {pt}",
        ", ",
    ),
    ("pt_colon", "AREA WI PT {label}: {pt}", "PT {label}: {pt}", " "),
]


def polygon_entry(rng: random.Random, i: int) -> dict:
    lon, lat = centre(rng)
    style = rng.choice(list(STYLES))
    w = Writer(rng, style)
    n = rng.randint(3, 9)
    raw = star_polygon(rng, lon, lat, n, (8, 60))
    pts = [w.snap(*p) for p in raw]
    texts = [w.text(*p) for p in pts]
    tags = ["polygon", f"coord:{style}"]
    if rng.random() < 0.25:
        name, frame, item_fmt, sep = rng.choice(POINT_LABEL_TEMPLATES)
        labels = [chr(ord("A") + k) for k in range(len(texts))]
        body = sep.join(
            item_fmt.format(label=lb, pt=t) for lb, t in zip(labels, texts, strict=True)
        )
        item_e = f"AREA WI {body}" if name == "pt_colon" else frame.format(pts=body)
        tags.append(f"form:{name}")
    else:
        name, frame, sep = rng.choice(POLYGON_TEMPLATES)
        closed = name in ("wi_area", "bounded_by", "lateral_limits") and rng.random() < 0.6
        listed = texts + ([texts[0]] if closed else [])
        item_e = frame.format(pts=sep.join(listed), first=texts[0])
        tags.append(f"form:{name}")
    geom = shapely.Polygon(pts)
    return finish(rng, i, item_e, [geom], tags, wrap_ok=True, hyphened="-" in item_e)


CIRCLE_TEMPLATES = [
    ("radius_centred_on", "RESTRICTED AREA ACT RADIUS {r} CENTRED ON {c}."),
    ("a_circle_radius", "A CIRCLE RADIUS {r} CENTRED ON {c}. UAS ACTIVITY."),
    ("a_circle_of", "PARACHUTE JUMPING WI A CIRCLE OF {r} RADIUS CENTERED AT {c}"),
    ("wi_radius_of", "AIRSPACE RESTRICTED WI {r} RADIUS OF {c}"),
    ("psn_radius", "FIREWORKS PSN {c} RADIUS {r}"),
    ("area_wi_radius_centre", "DANGER AREA WI RADIUS {r} CENTRE {c}"),
    ("circle_centred", "AERIAL DISPLAY WI CIRCLE {r} RADIUS CENTRED {c}"),
]


def radius_text(rng: random.Random) -> tuple[str, float]:
    kind = rng.choice(["NM", "NM", "NM", "NMd", "KM", "M"])
    if kind == "NM":
        v = rng.randint(1, 50)
        return rng.choice([f"{v}NM", f"{v} NM"]), v * NM_KM
    if kind == "NMd":
        v = rng.randint(5, 95) / 10
        return f"{v}NM", v * NM_KM
    if kind == "KM":
        v = rng.randint(1, 60)
        return rng.choice([f"{v}KM", f"{v} KM"]), float(v)
    v = rng.choice([300, 500, 800, 1000, 1500, 2000])
    return rng.choice([f"{v}M", f"{v}MTR"]), v / 1000


def circle_entry(rng: random.Random, i: int) -> dict:
    lon, lat = centre(rng)
    style = rng.choice(list(STYLES))
    w = Writer(rng, style)
    c = w.snap(lon, lat)
    r_text, r_km = radius_text(rng)
    name, frame = rng.choice(CIRCLE_TEMPLATES)
    item_e = frame.format(r=r_text, c=w.text(*c))
    geom = shapely.Polygon(sphere_circle(c[0], c[1], r_km))
    return finish(rng, i, item_e, [geom], ["circle", f"coord:{style}", f"form:{name}"])


def arc_entry(rng: random.Random, i: int) -> dict:
    lon, lat = centre(rng)
    style = rng.choice(["dms", "hemisphere_first_dms", "decimal_seconds", "spaced_dms"])
    w = Writer(rng, style)
    c = w.snap(lon, lat)
    r_nm = rng.randint(5, 40)
    r_km = r_nm * NM_KM
    a2 = rng.uniform(0, 360)
    sweep = rng.uniform(60, 200)
    a3 = a2 + sweep
    p2 = w.snap(*destination(c[0], c[1], a2, r_km))
    p3 = w.snap(*destination(c[0], c[1], a3, r_km))
    rest = sorted(rng.uniform(a3 + 15, a2 + 345) for _ in range(rng.randint(1, 3)))
    others = [w.snap(*destination(c[0], c[1], a, r_km * rng.uniform(1.6, 2.6))) for a in rest]
    # ring clockwise: p2, arc to p3, others..., back to p2
    arc = [
        destination(c[0], c[1], azimuth(c[0], c[1], *p2) + k * sweep / 90, r_km)
        for k in range(1, 90)
    ]
    ring = [p2, *arc, p3, *others]
    clockwise = rng.random() < 0.6
    t = w.text
    if clockwise:
        item_e = (
            f"DANGER AREA ACT WI {t(*p2)} THEN CLOCKWISE ARC RADIUS {r_nm}NM CENTRED ON "
            f"{t(*c)} TO {t(*p3)} - " + " - ".join(t(*p) for p in others) + f" - {t(*p2)}"
        )
    else:  # the same area written the other way round
        back = list(reversed(others))
        word = rng.choice(["ANTI-CLOCKWISE", "COUNTERCLOCKWISE", "ANTICLOCKWISE"])
        item_e = (
            f"RESTRICTED AREA WI {t(*p2)} - "
            + " - ".join(t(*p) for p in back)
            + f" - {t(*p3)} THEN {word} ARC RADIUS {r_nm}NM CENTRED ON {t(*c)} TO {t(*p2)}"
        )
    geom = shapely.Polygon(ring)
    tags = [
        "arc",
        "polygon",
        f"coord:{style}",
        "form:clockwise" if clockwise else "form:anticlockwise",
    ]
    return finish(rng, i, item_e, [geom], tags)


CORRIDOR_TEMPLATES = [
    (
        "either_side",
        "AIRSPACE RESERVED {w}NM EITHER SIDE OF A LINE JOINING {pts}",
        lambda h: h,
        " - ",
    ),
    ("corridor_wide", "TRANSIT CORRIDOR {w2}NM WIDE ALONG {pts}", lambda h: h, " - "),
    ("width_km", "UAS BVLOS CORRIDOR WIDTH {w2k}KM CENTRED ON LINE {pts}", lambda h: h, " "),
    ("each_side_km", "PIPELINE SURVEY FLT {wk}KM EACH SIDE OF LINE {pts}", lambda h: h, " TO "),
]


def corridor_entry(rng: random.Random, i: int) -> dict:
    lon, lat = centre(rng)
    style = rng.choice(["dms", "dm", "hemisphere_first_dms", "decimal_degrees"])
    w = Writer(rng, style)
    n = rng.randint(2, 4)
    heading = rng.uniform(0, 360)
    pts = [w.snap(lon, lat)]
    for _ in range(n - 1):
        heading += rng.uniform(-40, 40)
        pts.append(w.snap(*destination(*pts[-1], heading, rng.uniform(20, 90))))
    name, frame, _, sep = rng.choice(CORRIDOR_TEMPLATES)
    half_nm = rng.randint(1, 10)
    half_km_whole = rng.randint(2, 15)
    text_pts = sep.join(w.text(*p) for p in pts)
    if name == "either_side":
        item_e, half = frame.format(w=half_nm, pts=text_pts), half_nm * NM_KM
    elif name == "corridor_wide":
        item_e, half = frame.format(w2=2 * half_nm, pts=text_pts), half_nm * NM_KM
    elif name == "width_km":
        item_e, half = frame.format(w2k=2 * half_km_whole, pts=text_pts), float(half_km_whole)
    else:
        item_e, half = frame.format(wk=half_km_whole, pts=text_pts), float(half_km_whole)
    geom = equirect_buffer(pts, half)
    return finish(rng, i, item_e, [geom], ["corridor", f"coord:{style}", f"form:{name}"])


def boundary_entry(rng: random.Random, i: int) -> dict:
    code = rng.choice(["SVZM", "TNCF", "SKED", "SYGC", "MDCS", "TJZS", "SMPM", "MPZL"])
    fir = FIRS[code][1]
    polygon = max(getattr(fir, "geoms", [fir]), key=lambda p: p.area)
    ring = list(polygon.exterior.coords)[:-1]
    for _ in range(200):
        start = rng.randrange(len(ring))
        count = rng.randint(3, min(12, len(ring) - 2))
        path = [ring[(start + k) % len(ring)] for k in range(count)]
        length = sum(haversine_km(*a, *b) for a, b in itertools.pairwise(path))
        if not 60 < length < 600:
            continue
        mid = shapely.LineString(path).interpolate(0.5, normalized=True)
        inner = polygon.representative_point()
        k = rng.uniform(0.25, 0.5)
        p_in = (mid.x + (inner.x - mid.x) * k, mid.y + (inner.y - mid.y) * k)
        w = Writer(rng, "dms")
        a, b, p_in = w.snap(*path[0]), w.snap(*path[-1]), w.snap(*p_in)
        geom = shapely.Polygon([a, *path[1:-1], b, p_in])
        if geom.is_valid and geom.area > 0 and fir.buffer(1e-6).contains(geom):
            break
    else:
        raise RuntimeError("no boundary leg found")
    t = w.text
    wording = rng.choice(
        [
            f"ALONG THE {code} FIR BOUNDARY",
            "ALONG THE FIR BOUNDARY",
            f"ALONG THE BOUNDARY OF {code} FIR",
            "ALONG THE BOUNDARY",
        ]
    )
    item_e = (
        f"MIL EXER AREA: {t(*a)} THENCE {wording} TO {t(*b)} THENCE TO {t(*p_in)} THENCE TO {t(*a)}"
    )
    return finish(rng, i, item_e, [geom], ["boundary", "polygon", "coord:dms"], fir=code)


def fir_entry(rng: random.Random, i: int) -> dict:
    code = rng.choice(list(FIRS))
    name = FIR_NAMES.get(code)
    choices = [
        ("within_code_fir", f"ALL ACFT OPS PROHIBITED WITHIN {code} FIR"),
        ("code_fir_closed", f"{code} FIR CLSD TO ALL TFC DUE TO INDUSTRIAL ACTION"),
        ("wi_code_fir", f"AIRSPACE WI {code} FIR RESTRICTED TO STATE ACFT"),
    ]
    if name:
        choices += [
            ("name_fir", f"DUE TO MIL ACT ALL FLIGHTS WITHIN {name} FIR REQUIRE PPR"),
            (
                "name_flight_information_region",
                f"OPERATORS ADVISED TO EXERCISE CAUTION IN THE {name} FLIGHT INFORMATION REGION ({code})",
            ),
        ]
    form, item_e = rng.choice(choices)
    geom = FIRS[code][1]
    return finish(rng, i, item_e, [geom], ["fir", f"form:{form}"], fir=code, qcode="QAFLT")


def multi_entry(rng: random.Random, i: int) -> dict:
    lon, lat = centre(rng)
    style = rng.choice(["dms", "dm", "hemisphere_first_dms"])
    w = Writer(rng, style)
    labels = rng.choice([["1", "2"], ["A", "B", "C"], ["1", "2", "3"], ["ALPHA", "BRAVO"]])
    parts, geoms = [], []
    for k, label in enumerate(labels):
        c = destination(lon, lat, 360 * k / len(labels), 90)
        if rng.random() < 0.7:
            pts = [w.snap(*p) for p in star_polygon(rng, *c, rng.randint(3, 6), (8, 30))]
            parts.append(f"AREA {label}: " + " - ".join(w.text(*p) for p in pts))
            geoms.append(shapely.Polygon(pts))
        else:
            cc = w.snap(*c)
            r_nm = rng.randint(3, 20)
            parts.append(f"AREA {label}: RADIUS {r_nm}NM CENTRED ON {w.text(*cc)}")
            geoms.append(shapely.Polygon(sphere_circle(cc[0], cc[1], r_nm * NM_KM)))
    item_e = "MIL EXER IN FLW AREAS:\n" + "\n".join(parts)
    return finish(rng, i, item_e, geoms, ["multi_area", f"coord:{style}"])


def finish(
    rng: random.Random,
    i: int,
    item_e: str,
    geoms: list[shapely.Geometry],
    tags: list[str],
    *,
    wrap_ok: bool = True,
    hyphened: bool = False,
    fir: str | None = None,
    qcode: str | None = None,
) -> dict:
    union = shapely.union_all([shapely.make_valid(g) for g in geoms])
    if fir is None:
        fir = min(FIRS, key=lambda c: FIRS[c][1].distance(union.centroid))
        if FIRS[fir][1].distance(union.centroid) > 1:
            fir = rng.choice(
                ["EGTT", "LFFF", "EDGG", "YMMM", "NZZC", "RJJJ", "FAJA", "ZBPE", "OPKR"]
            )
    q = qline(fir, union, rng, qcode or rng.choice(["QRTCA", "QRDCA", "QRPCA", "QWMLW", "QWULW"]))
    if "fir" in tags:
        q = q[: q.rindex("/") + 1] + q[q.rindex("/") + 1 : -3] + "999"
    r = rng.random()
    if wrap_ok and r < 0.45 and "fir" not in tags:
        mode = "teletype" if hyphened and r < 0.2 else rng.choice(["words", "hyphens"])
        item_e = wrap(item_e, rng, mode)
        tags = [*tags, f"wrapped:{mode}"]
    number = f"{rng.choice('ABCDJMW')}{rng.randint(1, 9999):04d}/26"
    location = fir if len(fir) == 4 else "ZZZZ"
    if rng.random() < 0.08 and "circle" in tags and "NM" in item_e:  # US domestic TFR one-liner
        text = (
            f"!FDC 6/{rng.randint(1000, 9999)} ZMA {item_e.replace(chr(10), ' ')} "
            f"SFC-17999FT 2601011200-2601021200"
        )
        tags = [*tags, "format:faa_domestic"]
    else:
        text = icao(number, q, location, item_e, rng)
        tags = [*tags, "format:icao"]
    return {
        "id": f"G{i:03d}",
        "tags": tags,
        "text": text,
        "expected": {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {}, "geometry": mapping(g)} for g in geoms
            ],
        },
        "provenance": f"written by make_corpus.py (seed {SEED}), modelled on ICAO/AIP forms",
    }


MIX = [
    (polygon_entry, 95),
    (circle_entry, 50),
    (arc_entry, 25),
    (corridor_entry, 25),
    (boundary_entry, 12),
    (fir_entry, 15),
    (multi_entry, 18),
]


def build(seed: int = SEED) -> list[dict]:
    """Every entry for one seed (the committed file is ``build(SEED)``)."""
    rng = random.Random(seed)
    entries = []
    i = 1
    for maker, count in MIX:
        for _ in range(count):
            entry = maker(rng, i)
            entry["provenance"] = entry["provenance"].replace(f"seed {SEED}", f"seed {seed}")
            entries.append(entry)
            i += 1
    return entries


def main() -> None:
    entries = build(SEED)
    out = HERE / "generated.jsonl"
    out.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
    print(f"{len(entries)} entries -> {out}")


if __name__ == "__main__":
    main()
