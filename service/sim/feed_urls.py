"""Settings that point every feed at a feed emulator instead of the real services.

One place knows the emulator's URL layout (which path each feed's client expects under the
emulator's root), so the demo, eval, the tests and the benchmarks cannot drift apart when a
feed is added or a path changes.
"""

from __future__ import annotations

from typing import Any

TOKEN_PATH = "/auth/realms/opensky-network/protocol/openid-connect/token"


def emulator_feeds(emulator_url: str, credential: str) -> dict[str, dict[str, Any]]:
    """``feeds`` overrides (the shape of ``Settings.feeds``) for an emulator at ``emulator_url``.

    >>> emulator_feeds("http://127.0.0.1:8900", "x")["faa_notam"]["base_url"]
    'http://127.0.0.1:8900/notamapi/v1'
    """
    emu = emulator_url.rstrip("/")
    return {
        "opensky": {
            "base_url": f"{emu}/api",
            "token_url": f"{emu}{TOKEN_PATH}",
            "client_id": credential,
            "client_secret": credential,
        },
        "adsbx": {"base_url": emu},
        "faa_notam": {
            "base_url": f"{emu}/notamapi/v1",
            "client_id": credential,
            "client_secret": credential,
        },
        "routes": {"base_url": emu},
    }


def as_environment(overrides: dict[str, Any], prefix: str = "FIRWATCH") -> dict[str, str]:
    """The same overrides as ``FIRWATCH_A__B`` environment variables, for a child process.

    >>> as_environment({"feeds": {"adsbx": {"base_url": "http://e"}}})
    {'FIRWATCH_FEEDS__ADSBX__BASE_URL': 'http://e'}
    """
    env: dict[str, str] = {}
    for key, value in overrides.items():
        name = f"{prefix}_{key.upper()}" if prefix == "FIRWATCH" else f"{prefix}__{key.upper()}"
        if isinstance(value, dict):
            env.update(as_environment(value, name))
        else:
            env[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return env
