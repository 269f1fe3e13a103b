"""Watch by name: everything about the region follows from watch.airspaces."""

import itertools
import random
from pathlib import Path

import numpy as np
import pytest
import shapely

from service.config import ConfigError, load_settings
from service.detect.domestic import DomesticAddresses
from service.detect.engine import circle_coverage
from service.geo.world import load_world

ROOT = Path(__file__).resolve().parents[1]
WORLD = load_world((ROOT / "seeds").resolve())


def _fresh(monkeypatch, airspaces: str):
    monkeypatch.setenv("FIRWATCH_WATCH__AIRSPACES", airspaces)
    return load_settings(ROOT / "config.yaml")


def test_oiix_alone_watches_iran(monkeypatch):
    s = _fresh(monkeypatch, '["OIIX"]')
    assert s.watch.airspaces == ["OIIX"]
    iran = WORLD.firs["OIIX"].geometry
    b = s.feeds.opensky.bbox
    box = shapely.box(b.lomin, b.lamin, b.lomax, b.lamax)
    assert box.contains(iran)
    # around Iran, not the Caribbean: the box's centre is within Iran's bounds
    x0, y0, x1, y1 = iran.bounds
    assert x0 < (b.lomin + b.lomax) / 2 < x1 and y0 < (b.lamin + b.lamax) / 2 < y1
    assert "OIIX" in s.feeds.faa_notam.locations and "SVZM" not in s.feeds.faa_notam.locations
    cover = circle_coverage((p.lat, p.lon, p.radius_nm) for p in s.feeds.adsbx.points)
    assert shapely.area(shapely.intersection(cover, iran)) / shapely.area(iran) > 0.99
    # Iranian aircraft (0x730000-0x737FFF) are domestic over OIIX, others are not
    domestic = DomesticAddresses(s.watch.domestic_addresses)
    assert domestic.is_domestic("OIIX", "730A1B") and domestic.is_domestic("OIIX", "737FFF")
    assert not domestic.is_domestic("OIIX", "0D8001")  # Venezuelan
    assert not domestic.is_domestic("OIIX", "738000")  # Israeli
    # the Venezuelan prior of the example config does not leak into Iran
    assert s.detection.expected_foreign == {}


@pytest.mark.parametrize("seed", range(5))
def test_random_firs_derive_a_covering_watch(monkeypatch, seed):
    rng = random.Random(seed)
    land = [c for c, f in WORLD.firs.items() if not f.oceanic and WORLD.states.get(c)]
    codes = rng.sample(land, rng.randint(1, 3))
    monkeypatch.setenv("FIRWATCH_WATCH__MAX_ADSB_POINTS", "100")
    s = _fresh(monkeypatch, str(codes).replace("'", '"'))
    assert s.watch.airspaces == codes
    b = s.feeds.opensky.bbox
    box = shapely.box(b.lomin, b.lamin, b.lomax, b.lamax)
    union = shapely.union_all([WORLD.firs[c].geometry for c in codes])
    assert shapely.area(shapely.intersection(box, union)) / shapely.area(union) > 0.999
    assert set(codes) <= set(s.feeds.faa_notam.locations)
    for code in codes:
        assert s.watch.domestic_addresses[code] == WORLD.domestic_blocks(code)
    if shapely.bounds(union)[2] - shapely.bounds(union)[0] < 90:  # not across the antimeridian
        cover = circle_coverage((p.lat, p.lon, p.radius_nm) for p in s.feeds.adsbx.points)
        assert shapely.area(shapely.intersection(cover, union)) / shapely.area(union) > 0.98


def test_all_watches_every_fir_globally(monkeypatch):
    s = _fresh(monkeypatch, "all")
    assert s.watch.world and len(s.watch.airspaces) == len(WORLD.firs) > 400
    assert s.feeds.opensky.bbox.is_world
    assert s.feeds.adsbx.points == [] and not s.feeds.adsbx.enabled
    assert s.feeds.faa_notam.locations == ["KICZ"]


def test_unknown_code_is_one_line_with_nearest(monkeypatch):
    with pytest.raises(ConfigError) as info:
        _fresh(monkeypatch, '["OIIZ"]')
    assert str(info.value) == "watch.airspaces: unknown FIR 'OIIZ'; nearest: OIIX"


def test_explicit_values_must_reach_the_watched_airspaces(monkeypatch, tmp_path):
    base = (ROOT / "config.yaml").read_text() + f"\nbase_dir: {ROOT}\n"
    cases = {
        "feeds.faa_notam.locations": "FIRWATCH_FEEDS__FAA_NOTAM__LOCATIONS",
        "feeds.opensky.bbox": "FIRWATCH_FEEDS__OPENSKY__BBOX",
        "feeds.adsbx.points": "FIRWATCH_FEEDS__ADSBX__POINTS",
    }
    values = {
        "FIRWATCH_FEEDS__FAA_NOTAM__LOCATIONS": '["SVZM", "TNCF"]',
        "FIRWATCH_FEEDS__OPENSKY__BBOX": '{"lamin": -10, "lomin": -85, "lamax": 27, "lomax": -50}',
        "FIRWATCH_FEEDS__ADSBX__POINTS": '[{"lat": 12.2, "lon": -69.0, "radius_nm": 250}]',
    }
    path = tmp_path / "config.yaml"
    path.write_text(base)
    monkeypatch.setenv("FIRWATCH_WATCH__AIRSPACES", '["OIIX"]')
    for key, env in cases.items():
        monkeypatch.setenv(env, values[env])
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")) as info:
            load_settings(path)
        assert "OIIX" in str(info.value) and "\n" not in str(info.value)
        monkeypatch.delenv(env)
    # with SVZM watched the same explicit values are accepted as overrides
    monkeypatch.setenv("FIRWATCH_WATCH__AIRSPACES", '["SVZM"]')
    for env, value in values.items():
        monkeypatch.setenv(env, value)
    s = load_settings(path)
    assert s.feeds.faa_notam.locations == ["SVZM", "TNCF"]
    assert len(s.feeds.adsbx.points) == 1


def test_fir_states_of_the_2025_closures():
    assert {c: WORLD.states[c] for c in ("OIIX", "ORBB", "OJAC", "LLLL", "SVZM", "OPLR")} == {
        "OIIX": ("IR",),
        "ORBB": ("IQ",),
        "OJAC": ("JO",),
        "LLLL": ("IL",),
        "SVZM": ("VE",),
        "OPLR": ("PK",),
    }
    # every FIR has a state: the oceanic ones through their ICAO prefix
    assert all(WORLD.states[c] for c in WORLD.firs)


def test_address_block_lookup_is_vectorised_and_exact():
    blocks = WORLD.blocks
    addresses = np.array([0x730000, 0x737FFF, 0x738000, 0x0D8000, 0xFFFFFF, 0x000001])
    assert list(blocks.state_of(addresses)) == ["IR", "IR", "IL", "VE", "", ""]
    # no two states' blocks overlap
    spans = sorted((b.low, b.high) for b in blocks.blocks)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))
