"""What to watch follows from the FIRs named in ``watch.airspaces``.

A user writes ``watch.airspaces: [OIIX, ORBB]`` (or ``all``) and nothing else; from the
bundled world data this module derives, unless set explicitly:

* ``feeds.opensky.bbox``: the airspaces' bounds plus ``watch.margin_deg`` (the whole Earth,
  i.e. the global ``/states/all``, for ``all``);
* ``feeds.adsbx.points``: 250 NM circles on a hexagonal grid that cover the airspaces
  (at most ``watch.max_adsb_points``; none for ``all``, which no set of circles covers, so
  the ADS-B feed is switched off there);
* ``feeds.faa_notam.locations``: each watched FIR plus KICZ, the FAA's international
  office that issues the US warnings for foreign FIRs (only KICZ for ``all``, where the
  poller also asks for the FIRs not NORMAL in the last 24 h: ``watch.max_notam_firs``);
* ``watch.domestic_addresses``: the address blocks of each FIR's state(s).

The traffic prior (``detection.expected_foreign``) is not invented: without one the
baseline is learned from the traffic.  Explicit values are checked against the watched
airspaces, so that changing the FIR cannot leave the feeds polling the old region: a box,
circles or NOTAM locations that miss a watched airspace stop the start with one line.
"""

from __future__ import annotations

import difflib
import logging
import math

import numpy as np
import shapely

from service.config import Settings
from service.feed_settings import BBox, PointQuery
from service.geo.airspaces import prepared_copy
from service.geo.world import WORLD_FIRS, World, load_world

log = logging.getLogger("firwatch.watch")

FAA_INTERNATIONAL = "KICZ"
ADSB_RADIUS_NM = 250.0
KM_PER_NM = 1.852
KM_PER_DEG = 111.32


class WatchError(ValueError):
    """A watch setting that cannot work, as one line naming the key."""


def unknown_code_message(code: str, world: World) -> str:
    """One line with the nearest known codes (and a FIR whose name matches).

    >>> from pathlib import Path
    >>> world = load_world(Path("seeds").resolve())
    >>> unknown_code_message("OIIZ", world)
    "watch.airspaces: unknown FIR 'OIIZ'; nearest: OIIX"
    >>> unknown_code_message("TEHRAN", world)
    "watch.airspaces: unknown FIR 'TEHRAN'; nearest: OIIX, TEH, EHAA"
    """
    names = {f.name.upper(): f.icao for f in world.firs.values()}
    near = difflib.get_close_matches(code, list(world.firs), n=4, cutoff=0.6) or (
        difflib.get_close_matches(code, list(world.firs), n=4, cutoff=0.4)
    )
    by_name = [names[n] for n in difflib.get_close_matches(code, list(names), n=2, cutoff=0.7)]
    found = list(dict.fromkeys(by_name + near))
    hint = f"; nearest: {', '.join(found)}" if found else ""
    return f"watch.airspaces: unknown FIR {code!r}{hint}"


def derive_watch(settings: Settings) -> Settings:
    """``settings`` with everything left unset derived from ``watch.airspaces``."""
    seeds = settings.path(settings.seeds_dir)
    watch = settings.watch
    if not (seeds / WORLD_FIRS).is_file():
        if watch.airspaces == "all" or not watch.airspaces:
            raise WatchError(f"watch.airspaces: {seeds / WORLD_FIRS} is needed to derive a watch")
        return settings
    world = load_world(seeds.resolve())
    if watch.airspaces == "all":
        codes, everything = sorted(world.firs), True
    else:
        codes, everything = list(dict.fromkeys(watch.airspaces)), False
    if not codes:
        raise WatchError("watch.airspaces: name at least one FIR (e.g. [OIIX, ORBB]) or all")
    for code in codes:
        if code not in world.firs:
            raise WatchError(unknown_code_message(code, world))
    geometry = shapely.union_all([world.firs[c].geometry for c in codes])

    feeds = settings.feeds
    opensky, adsbx, faa = feeds.opensky, feeds.adsbx, feeds.faa_notam
    if opensky.bbox is None:
        bbox = world_box() if everything else box_around(geometry, watch.margin_deg)
    else:
        bbox = opensky.bbox
        _check_box(bbox, codes, world)
    if not adsbx.points:
        points = [] if everything else cover_points(geometry, watch.max_adsb_points)
    else:
        points = list(adsbx.points)
        _check_points(points, codes, world)
    if not faa.locations:
        locations = [FAA_INTERNATIONAL] if everything else [*codes, FAA_INTERNATIONAL]
    else:
        locations = list(faa.locations)
        missing = [c for c in codes if c not in locations] if not everything else []
        if missing:
            raise WatchError(
                f"feeds.faa_notam.locations {locations} do not include watched "
                f"{', '.join(missing)} (drop the key to derive it from watch.airspaces)"
            )

    watched = set(codes)
    domestic = {}
    for code, blocks in watch.domestic_addresses.items():
        if code in watched:
            domestic[code] = blocks
        else:
            log.warning("watch.domestic_addresses.%s ignored: %s is not watched", code, code)
    for code in codes:
        if code not in domestic and (blocks := world.domestic_blocks(code)):
            domestic[code] = blocks
    expected = {}
    for code, value in settings.detection.expected_foreign.items():
        if code in watched:
            expected[code] = value
        else:
            log.warning("detection.expected_foreign.%s ignored: %s is not watched", code, code)

    return settings.model_copy(
        update={
            "feeds": feeds.model_copy(
                update={
                    "opensky": opensky.model_copy(update={"bbox": bbox}),
                    # no circle can cover the world: the ADS-B feed rests under "all"
                    "adsbx": adsbx.model_copy(
                        update={"points": points, "enabled": adsbx.enabled and bool(points)}
                    ),
                    "faa_notam": faa.model_copy(update={"locations": locations}),
                }
            ),
            "watch": watch.model_copy(
                update={"airspaces": codes, "domestic_addresses": domestic, "world": everything}
            ),
            "detection": settings.detection.model_copy(update={"expected_foreign": expected}),
        }
    )


def world_box() -> BBox:
    return BBox(lamin=-90.0, lomin=-180.0, lamax=90.0, lomax=180.0)


def box_around(geometry: shapely.Geometry, margin_deg: float) -> BBox:
    """Bounds plus a margin, clipped to the Earth.

    >>> box_around(shapely.box(44.0, 24.7, 63.3, 39.8), 10)
    BBox(lamin=14.7, lomin=34.0, lamax=49.8, lomax=73.3)
    """
    x0, y0, x1, y1 = shapely.bounds(geometry)
    return BBox(
        lamin=round(max(-90.0, y0 - margin_deg), 4),
        lomin=round(max(-180.0, x0 - margin_deg), 4),
        lamax=round(min(90.0, y1 + margin_deg), 4),
        lomax=round(min(180.0, x1 + margin_deg), 4),
    )


def circle(lat: float, lon: float, radius_nm: float) -> shapely.Geometry:
    """A lon/lat polygon approximating a circle (degrees scaled by latitude)."""
    deg_lat = radius_nm * KM_PER_NM / KM_PER_DEG
    deg_lon = deg_lat / max(math.cos(math.radians(lat)), 0.05)
    ring = np.linspace(0, 2 * np.pi, 65)
    return shapely.Polygon(
        np.column_stack([lon + deg_lon * np.cos(ring), lat + deg_lat * np.sin(ring)])
    )


def cover_points(
    geometry: shapely.Geometry, max_points: int, radius_nm: float = ADSB_RADIUS_NM
) -> list[PointQuery]:
    """Circle centres on a hexagonal grid (spacing √3·r, which leaves no gap) over the
    geometry's bounds, kept where a circle meets it; when more are needed than allowed,
    those covering most of the airspace are kept (coverage then is partial, and the
    engine counts the ADS-B feed's traffic only where it sees the whole airspace)."""
    x0, y0, x1, y1 = shapely.bounds(geometry)
    step_lat = math.sqrt(3) * radius_nm * KM_PER_NM / KM_PER_DEG * 0.98
    centres = []
    row = 0
    lat = y0
    while lat <= y1 + step_lat / 2:
        step_lon = step_lat / max(math.cos(math.radians(min(abs(lat), 85.0))), 0.05)
        lon = x0 + (step_lon / 2 if row % 2 else 0.0)
        while lon <= x1 + step_lon / 2:
            centres.append((min(lat, 89.0), lon))
            lon += step_lon
        lat += step_lat * math.sqrt(3) / 2
        row += 1
    circles = [circle(la, lo, radius_nm) for la, lo in centres]
    geometry = prepared_copy(geometry)  # the caller's may be shared across threads
    overlap = [float(shapely.area(shapely.intersection(c, geometry))) for c in circles]
    keep = sorted((i for i, a in enumerate(overlap) if a > 0), key=lambda i: -overlap[i])[
        :max_points
    ]
    return [
        PointQuery(
            lat=round(centres[i][0], 3),
            lon=round(((centres[i][1] + 180) % 360) - 180, 3),
            radius_nm=radius_nm,
        )
        for i in sorted(keep)
    ]


def _check_box(bbox: BBox, codes: list[str], world: World) -> None:
    area = shapely.box(bbox.lomin, bbox.lamin, bbox.lomax, bbox.lamax)
    missing = [c for c in codes if not area.intersects(world.firs[c].geometry)]
    if missing:
        raise WatchError(
            f"feeds.opensky.bbox does not reach watched {', '.join(missing[:5])} "
            f"(drop the key to derive it from watch.airspaces)"
        )


def _check_points(points: list[PointQuery], codes: list[str], world: World) -> None:
    area = shapely.union_all([circle(p.lat, p.lon, p.radius_nm) for p in points])
    missing = [c for c in codes if not area.intersects(world.firs[c].geometry)]
    if missing:
        raise WatchError(
            f"feeds.adsbx.points do not reach watched {', '.join(missing[:5])} "
            f"(drop the key to derive circles from watch.airspaces)"
        )


def describe(settings: Settings) -> dict:
    """What a watch polls, for the CLI and the API."""
    b = settings.feeds.opensky.bbox
    return {
        "airspaces": "all" if settings.watch.world else settings.watch.airspaces,
        "opensky_bbox": None if b is None or b.is_world else b.model_dump(),
        "adsbx_points": [p.model_dump() for p in settings.feeds.adsbx.points],
        "faa_notam_locations": settings.feeds.faa_notam.locations,
        "domestic_addresses": settings.watch.domestic_addresses,
    }
