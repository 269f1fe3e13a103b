"""Settings: config.yaml, then ``FIRWATCH_*`` environment variables on top.

Read once at start-up and validated there, so that a typo stops the service with
one line naming the key instead of surfacing as a failed poll hours later.
Nested keys use ``__`` in the environment, e.g.
``FIRWATCH_FEEDS__OPENSKY__INTERVAL_S=30``.  Credentials are accepted from the
environment only: a secret committed in config.yaml is refused.

The sections live with what they configure: :mod:`service.feed_settings`,
:mod:`service.detection_settings` (watch and detection); the service's own
(API, webhooks, retention) and the root :class:`Settings` are here, and which
environment names are settings is worked out in :mod:`service.config_environment`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from service.config_environment import unknown_variable
from service.detection_settings import DetectionSettings, WatchSettings
from service.feed_settings import FeedsSettings, PositiveSeconds

CONFIG_ENV = "FIRWATCH_CONFIG"
DEFAULT_CONFIG = Path("config.yaml")
PROJECT_CONFIG = Path(__file__).resolve().parents[1] / "config.yaml"
SECRET_KEYS = {"client_id", "client_secret"}


class ConfigError(Exception):
    """A configuration problem, phrased as one line naming the key."""


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


def _read_file(config_path: Path) -> dict[str, Any]:
    """The YAML mapping in ``config_path``, refusing credentials in it; ``base_dir`` defaults
    to its folder so relative paths in it mean the same from any working directory."""
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
    return data


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
        data = _read_file(config_path)
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


def check_environment(environ: Any) -> None:
    """A misspelled ``FIRWATCH_*`` variable is refused like an unknown YAML key, with the
    nearest real name, instead of being silently ignored (pydantic-settings drops it).

    >>> check_environment({"FIRWATCH_API__PORT": "1"})
    >>> check_environment({"FIRWATCH_API__PROT": "1"})
    Traceback (most recent call last):
    ...
    service.config.ConfigError: FIRWATCH_API__PROT: no such setting (did you mean FIRWATCH_API__PORT?)
    """
    refusal = unknown_variable(environ, Settings)
    if refusal is not None:
        raise ConfigError(refusal)
