"""Settings: config.yaml, then ``FIRWATCH_*`` environment variables on top.

Read once at start-up and validated there, so that a typo stops the service with
one line naming the key instead of surfacing as a failed poll hours later.
Nested keys use ``__`` in the environment, e.g.
``FIRWATCH_FEEDS__OPENSKY__INTERVAL_S=30``.  Credentials are accepted from the
environment only: a secret committed in config.yaml is refused.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from service.detect.domestic import parse_block

CONFIG_ENV = "FIRWATCH_CONFIG"
DEFAULT_CONFIG = Path("config.yaml")
PROJECT_CONFIG = Path(__file__).resolve().parents[1] / "config.yaml"
SECRET_KEYS = {"client_id", "client_secret"}

PositiveSeconds = Annotated[float, Field(gt=0, le=86_400)]


class ConfigError(Exception):
    """A configuration problem, phrased as one line naming the key."""


class BBox(BaseModel):
    """A lat/lon box in decimal degrees (OpenSky's lamin/lomin/lamax/lomax)."""

    lamin: float = Field(ge=-90, le=90)
    lomin: float = Field(ge=-180, le=180)
    lamax: float = Field(ge=-90, le=90)
    lomax: float = Field(ge=-180, le=180)

    @model_validator(mode="after")
    def _ordered(self) -> BBox:
        if self.lamin >= self.lamax or self.lomin >= self.lomax:
            raise ValueError("bbox needs lamin < lamax and lomin < lomax")
        return self

    @property
    def area_sq_deg(self) -> float:
        return (self.lamax - self.lamin) * (self.lomax - self.lomin)

    @property
    def is_world(self) -> bool:
        """The whole Earth: OpenSky's global ``/states/all`` without a box."""
        return (self.lamin, self.lomin, self.lamax, self.lomax) == (-90.0, -180.0, 90.0, 180.0)


class OpenSkySettings(BaseModel):
    enabled: bool = True
    base_url: str = "https://opensky-network.org/api"
    token_url: str = (
        "https://auth.opensky-network.org/auth/realms/opensky-network/protocol/openid-connect/token"
    )
    interval_s: PositiveSeconds = 60.0
    timeout_s: PositiveSeconds = 20.0
    # None: derived from watch.airspaces (their bounds plus watch.margin_deg; see service/watch.py)
    bbox: BBox | None = None
    credit_budget: bool = True
    client_id: SecretStr | None = None
    client_secret: SecretStr | None = None


class PointQuery(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_nm: float = Field(gt=0, le=250)


class AdsbxSettings(BaseModel):
    enabled: bool = True
    base_url: str = "https://api.adsb.lol"
    interval_s: PositiveSeconds = 60.0
    timeout_s: PositiveSeconds = 20.0
    # empty: circles covering watch.airspaces are derived (service/watch.py)
    points: list[PointQuery] = Field(default_factory=list)


class FaaNotamSettings(BaseModel):
    enabled: bool = True
    base_url: str = "https://external-api.faa.gov/notamapi/v1"
    interval_s: PositiveSeconds = 300.0
    timeout_s: PositiveSeconds = 30.0
    # empty: the watched FIRs and the FAA's international office (KICZ) are derived
    locations: list[str] = Field(default_factory=list)
    page_size: int = Field(default=200, ge=1, le=1000)
    client_id: SecretStr | None = None
    client_secret: SecretStr | None = None


class RoutesSettings(BaseModel):
    enabled: bool = True
    base_url: str = "https://api.adsb.lol"
    timeout_s: PositiveSeconds = 10.0
    cache_s: PositiveSeconds = 1200.0
    # callsign,origin,destination rows consulted when the route source does not know a callsign
    local_file: str | None = "seeds/routes.csv"


class FeedsSettings(BaseModel):
    opensky: OpenSkySettings = OpenSkySettings()
    adsbx: AdsbxSettings = AdsbxSettings()
    faa_notam: FaaNotamSettings = FaaNotamSettings()
    routes: RoutesSettings = RoutesSettings()


class WatchSettings(BaseModel):
    # FIR codes (any in seeds/world/firs-world.geojson) or "all"; everything else about
    # the region (OpenSky box, ADS-B circles, NOTAM locations, domestic blocks) is derived
    # from these in service/watch.py unless set explicitly
    airspaces: list[str] | Literal["all"] = Field(default_factory=list)
    airports: list[str] = Field(default_factory=list)
    routes_file: str = "seeds/watched_routes.yaml"
    # degrees added around the watched airspaces' bounds for the derived OpenSky box
    margin_deg: float = Field(default=10.0, ge=0, le=90)
    # most derived ADS-B circles (each one request per poll)
    max_adsb_points: int = Field(default=12, ge=1, le=100)
    # airspace -> ICAO 24-bit address blocks of its state ("0D8000-0DFFFF"): those aircraft
    # are domestic there, every other one foreign; derived from the FIR's state(s) when absent
    domestic_addresses: dict[str, list[str]] = Field(default_factory=dict)
    # with airspaces "all": the FAA NOTAM API is also asked for the FIRs not NORMAL in the
    # last 24 h of data (latest change first), at most this many (each is one request)
    max_notam_firs: int = Field(default=20, ge=0, le=200)
    # set by the derivation: watch.airspaces was "all" (every FIR of the world data)
    world: bool = False

    @field_validator("domestic_addresses")
    @classmethod
    def _blocks(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for blocks in value.values():
            for block in blocks:
                parse_block(block)
        return {code.strip().upper(): blocks for code, blocks in value.items()}

    @field_validator("airspaces", mode="before")
    @classmethod
    def _all(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == "all":
            return "all"
        if isinstance(value, list) and [str(v).strip().lower() for v in value] == ["all"]:
            return "all"
        return value

    @field_validator("airspaces")
    @classmethod
    def _fir_codes(cls, values: list[str] | str) -> list[str] | str:
        if values == "all":
            return values
        out = []
        for value in values:
            code = value.strip().upper()
            if not 3 <= len(code) <= 4 or not code.isalnum():
                raise ValueError(f"{value!r} is not a FIR code (e.g. SVZM, OIIX) or 'all'")
            out.append(code)
        return out

    @field_validator("airports")
    @classmethod
    def _icao(cls, values: list[str]) -> list[str]:
        out = []
        for value in values:
            code = value.strip().upper()
            if len(code) != 4 or not code.isalnum():
                raise ValueError(f"{value!r} is not a 4-letter ICAO code")
            out.append(code)
        return out


class DetectionSettings(BaseModel):
    """Detection parameters; each is documented in config.yaml."""

    flight_gap_minutes: float = Field(default=30.0, gt=0)
    landing_radius_km: float = Field(default=15.0, gt=0)
    landing_max_altitude_ft: float = Field(default=2000.0, ge=0)
    # traffic model (service/detect/traffic_model.py); every duration in minutes
    expected_foreign: dict[str, float] = Field(default_factory=dict)
    expected_domestic: dict[str, float] = Field(default_factory=dict)
    dwell_minutes: float = Field(default=45.0, gt=0)
    baseline_prior_strength: float = Field(default=1.0, gt=0)
    baseline_min_bin_minutes: float = Field(default=30.0, gt=0, le=60)
    baseline_hour_of_week_weeks: int = Field(default=3, ge=1)
    baseline_history_days: float = Field(default=28.0, gt=0)
    baseline_learn_delay_minutes: float = Field(default=60.0, ge=0)
    collapse_windows_minutes: list[float] = Field(
        default_factory=lambda: [20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0], min_length=1
    )
    collapse_probability: float = Field(default=0.001, gt=0, lt=0.5)
    collapse_confirm_minutes: float = Field(default=10.0, ge=0)
    collapse_ratio: float = Field(default=0.2, ge=0, lt=1)
    recover_ratio: float = Field(default=0.5, gt=0, le=1)
    recover_window_minutes: float = Field(default=30.0, gt=0)
    sample_max_minutes: float = Field(default=30.0, gt=0)
    arrival_memory_minutes: float = Field(default=20.0, ge=0)
    coverage_suspend_fraction: float = Field(default=0.5, ge=0, le=1)
    coverage_min_expected_aircraft: float = Field(default=10.0, ge=0)
    reroute_min_extra_km: float = Field(default=25.0, ge=0)
    reroute_min_positions: int = Field(default=3, ge=2)
    # flight.rerouted for every flight whose great circle crosses a watched airspace, or only
    # for flights on the watched routes; route.disrupted is always for watched routes only
    reroute_alerts: Literal["all", "watched_routes"] = "all"
    # flight.diverted for every flight landing elsewhere than its destination within the
    # watched region, or only for flights to watched airports / on watched routes
    diversion_alerts: Literal["all", "watched_airports"] = "all"
    # a reroute of an airspace that stayed NORMAL is reported only when the flight flew at
    # least reroute_min_extra_km more than its route's usual path, known from this many flights
    reroute_usual_min_flights: int = Field(default=3, ge=1)
    track_memory_flights: int = Field(default=50_000, ge=100)
    store_positions_margin_deg: float = Field(default=20.0, ge=0)
    route_disruption_window_hours: float = Field(default=24.0, gt=0)
    route_disruption_min_flights: int = Field(default=2, ge=1)
    route_service_window_hours: float = Field(default=6.0, gt=0)
    route_service_min_expected: float = Field(default=1.5, gt=0)
    notam_est_grace_hours: float = Field(default=12.0, ge=0)
    notam_withdrawal_grace_minutes: float = Field(default=60.0, ge=0)

    @model_validator(mode="after")
    def _ratios(self) -> DetectionSettings:
        if self.recover_ratio <= self.collapse_ratio:
            raise ValueError("recover_ratio must be above collapse_ratio (hysteresis)")
        if any(w <= 0 for w in self.collapse_windows_minutes):
            raise ValueError("collapse_windows_minutes must all be above 0")
        return self


class WebhookSettings(BaseModel):
    timeout_s: PositiveSeconds = 10.0
    interval_s: PositiveSeconds = 2.0
    max_attempts: int = Field(default=12, ge=1)
    # A claimed message is re-sent if its attempt has not finished after this long (crash safety).
    lease_s: PositiveSeconds = 60.0
    # A subscription is switched off after this many failed deliveries in a row.
    disable_after_failures: int = Field(default=50, ge=1)
    allow_private_targets: bool = False


class RetentionSettings(BaseModel):
    # Positions older than this (data time) are deleted; flights, alerts and NOTAMs are kept.
    positions_days: float = Field(default=14.0, gt=0)
    # Traffic samples feed the same-hour-of-week baseline, so they are kept longer.
    traffic_samples_days: float = Field(default=56.0, gt=0)
    interval_s: PositiveSeconds = 3600.0


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Whether GET requests need an API key: "auto" = open when bound to a loopback address,
    # required otherwise; "always" / "never" force it. Changes always need an admin key.
    read_auth: Literal["auto", "always", "never"] = "auto"
    # Requests per minute per API key (or per client address without a key); 0 = unlimited.
    rate_limit_per_minute: int = Field(default=600, ge=0)
    # Largest accepted request body.
    max_body_bytes: int = Field(default=65536, ge=1024)
    # Hot GET responses (alert lists, airspace status) are served from memory for this long.
    cache_s: float = Field(default=1.0, ge=0)

    def reads_need_key(self) -> bool:
        if self.read_auth != "auto":
            return self.read_auth == "always"
        return self.host not in ("127.0.0.1", "::1", "localhost")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FIRWATCH_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    database_url: str = "sqlite:///var/firwatch.db"
    auto_migrate: bool = False
    seeds_dir: str = "seeds"
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    # How often a standby replica tries to take the scheduler lock (PostgreSQL), seconds.
    leader_check_s: float = Field(default=2.0, gt=0)
    feeds: FeedsSettings = FeedsSettings()
    watch: WatchSettings = WatchSettings()
    detection: DetectionSettings = DetectionSettings()
    webhooks: WebhookSettings = WebhookSettings()
    api: ApiSettings = ApiSettings()
    retention: RetentionSettings = RetentionSettings()
    base_dir: str = Field(default=".", description="Directory relative paths resolve against.")

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("log_level must be DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("database_url")
    @classmethod
    def _db(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql+psycopg:// URL")
        return value

    def path(self, relative: str) -> Path:
        """Resolve a configured path against the config file's directory."""
        path = Path(relative)
        return path if path.is_absolute() else Path(self.base_dir) / path

    @property
    def resolved_database_url(self) -> str:
        """The database URL with a relative SQLite path anchored at base_dir."""
        prefix = "sqlite:///"
        url = self.database_url
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.path(url[len(prefix) :]).resolve())
        return url

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over the file (init kwargs carry the YAML content).
        return (env_settings, init_settings)


def _find_secrets(data: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            here = f"{path}.{key}" if path else str(key)
            if key in SECRET_KEYS and value not in (None, ""):
                found.append(here)
            found.extend(_find_secrets(value, here))
    return found


def _format_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "(top level)"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{key}: {err['msg']}{more}"


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``, nested mappings merged key by key.

    >>> deep_merge({"feeds": {"opensky": {"interval_s": 300, "enabled": True}}},
    ...            {"feeds": {"opensky": {"interval_s": 30}}})
    {'feeds': {'opensky': {'interval_s': 30, 'enabled': True}}}
    """
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_settings(path: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Load and validate settings; raise :class:`ConfigError` with one line on failure."""
    explicit = path or os.environ.get(CONFIG_ENV)
    if explicit:
        config_path = Path(explicit)
    else:
        # ./config.yaml, else the one beside the package (a source checkout or editable
        # install), so that `firwatch demo` works from any directory
        config_path = DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else PROJECT_CONFIG
    data: dict[str, Any] = {}
    if config_path.exists():
        try:
            loaded = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            raise ConfigError(f"{config_path}{where}: not valid YAML") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{config_path}: top level must be a mapping")
        data = loaded or {}
        secrets = _find_secrets(data)
        if secrets:
            raise ConfigError(
                f"{secrets[0]}: credentials are read from the environment only "
                f"(e.g. FIRWATCH_{secrets[0].upper().replace('.', '__')}), not from {config_path}"
            )
        data.setdefault("base_dir", str(config_path.resolve().parent))
    elif explicit:
        raise ConfigError(f"{config_path}: config file not found")
    data = deep_merge(data, overrides)
    check_environment(os.environ)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(
            f"config error in {config_path} or FIRWATCH_*: {_format_error(exc)}"
        ) from exc
    seeds = settings.path(settings.seeds_dir)
    if not (seeds / "firs.geojson").is_file():
        raise ConfigError(
            f"seeds_dir: {seeds} has no firs.geojson (run from the firwatch directory, "
            f"or set FIRWATCH_CONFIG or FIRWATCH_SEEDS_DIR)"
        )
    from service.watch import WatchError, derive_watch

    try:
        return derive_watch(settings)
    except WatchError as exc:
        raise ConfigError(str(exc)) from exc


# FIRWATCH_* variables that are not settings: read by the CLI, the emulator, the tests and
# store/crypto.py (FIRWATCH_SECRET_KEY[_FILE]: kept out of settings so it is never dumped).
OTHER_VARIABLES = (
    "FIRWATCH_CONFIG",
    "FIRWATCH_TEST_",
    "FIRWATCH_EMULATOR_",
    "FIRWATCH_SECRET_KEY",
    "FIRWATCH_SCHEMATHESIS_",
)


def setting_paths(model: type[BaseModel] | None = None, prefix: str = "FIRWATCH_") -> list[str]:
    """Every environment name a setting answers to: each field, and the fields below a nested
    model (``X | None`` included), so both ``FIRWATCH_API`` (JSON) and ``FIRWATCH_API__PORT`` count."""
    import typing

    names = []
    for field, info in (model or Settings).model_fields.items():
        name = f"{prefix}{field.upper()}"
        names.append(name)
        for kind in (info.annotation, *typing.get_args(info.annotation)):
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                names.extend(setting_paths(kind, name + "__"))
            elif kind is dict or typing.get_origin(kind) is dict:
                names.append(name + "__*")  # a mapping takes any key below it
    return names


def check_environment(environ: Any) -> None:
    """A misspelled ``FIRWATCH_*`` variable is refused like an unknown YAML key, with the
    nearest real name, instead of being silently ignored (pydantic-settings drops it).

    >>> check_environment({"FIRWATCH_API__PORT": "1"})
    >>> check_environment({"FIRWATCH_API__PROT": "1"})
    Traceback (most recent call last):
    ...
    service.config.ConfigError: FIRWATCH_API__PROT: no such setting (did you mean FIRWATCH_API__PORT?)
    """
    import difflib

    paths = setting_paths()
    known = [k for k in paths if not k.endswith("*")]
    mappings = tuple(k[:-1] for k in paths if k.endswith("*"))
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith("FIRWATCH_") or upper.startswith(OTHER_VARIABLES):
            continue
        if upper in known or upper.startswith(mappings):
            continue
        near = difflib.get_close_matches(upper, known, n=1, cutoff=0.6)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise ConfigError(f"{name}: no such setting{hint}")
