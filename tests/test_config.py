from pathlib import Path

import pytest

from service.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_repository_config_is_valid():
    s = load_settings(ROOT / "config.yaml")
    assert s.watch.airspaces == ["SVZM"]
    assert set(s.watch.airports) == {"TNCA", "TNCC", "TNCB"}
    assert s.feeds.opensky.client_id is None  # credentials never come from the file
    assert s.resolved_database_url.startswith("sqlite:////")


def test_environment_overrides_nested_keys(monkeypatch):
    monkeypatch.setenv("FIRWATCH_FEEDS__OPENSKY__INTERVAL_S", "42")
    monkeypatch.setenv("FIRWATCH_FEEDS__OPENSKY__CLIENT_SECRET", "s3cret")
    s = load_settings(ROOT / "config.yaml")
    assert s.feeds.opensky.interval_s == 42
    assert s.feeds.opensky.client_secret.get_secret_value() == "s3cret"
    assert s.feeds.adsbx.interval_s == 60  # untouched siblings survive the merge


@pytest.mark.parametrize(
    ("yaml_text", "key"),
    [
        ("feeds:\n  opensky:\n    interval_s: -5\n", "feeds.opensky.interval_s"),
        ("watch:\n  airspaces: [VENEZUELA]\n", "watch.airspaces"),
        ("detection:\n  collapse_ratio: 0.6\n  recover_ratio: 0.5\n", "detection"),
        (
            "feeds:\n  opensky:\n    bbox: {lamin: 10, lomin: 0, lamax: 5, lomax: 1}\n",
            "feeds.opensky.bbox",
        ),
        ("no_such_key: 1\n", "no_such_key"),
        ("feeds:\n  faa_notam:\n    client_secret: abc\n", "feeds.faa_notam.client_secret"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(tmp_path, yaml_text, key):
    path = tmp_path / "config.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert key in message
    assert "\n" not in message


def test_invalid_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "config.yaml"
    bad.write_text("feeds: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.yaml")


def test_missing_seeds_and_missing_env_config_are_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("FIRWATCH_SEEDS_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match=r"seeds_dir: .* has no firs\.geojson") as info:
        load_settings()
    assert "\n" not in str(info.value)
    monkeypatch.delenv("FIRWATCH_SEEDS_DIR")
    monkeypatch.setenv("FIRWATCH_CONFIG", str(tmp_path / "gone.yaml"))
    with pytest.raises(ConfigError, match=r"gone\.yaml: config file not found"):
        load_settings()


def test_from_another_directory_the_project_config_and_seeds_are_found(tmp_path, monkeypatch):
    monkeypatch.delenv("FIRWATCH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no config.yaml here
    settings = load_settings()
    assert (settings.path(settings.seeds_dir) / "firs.geojson").is_file()
    assert settings.watch.airspaces == ["SVZM"]
