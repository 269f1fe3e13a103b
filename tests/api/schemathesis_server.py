"""The API for the schemathesis run: its own database, every read needing a key, no rate limit."""

from __future__ import annotations

import sys

import uvicorn

from service.api.auth import create_key
from service.config import load_settings
from service.store.db import make_engine, make_sessionmaker, upgrade


def main(config: str, database_url: str, seeds: str, port: int, key_file: str) -> None:
    settings = load_settings(
        config,
        database_url=database_url,
        seeds_dir=seeds,
        api={"read_auth": "always", "rate_limit_per_minute": 0, "cache_s": 0},
        webhooks={"allow_private_targets": True},  # no DNS lookups for generated host names
    )
    upgrade(database_url)
    engine = make_engine(database_url)
    with make_sessionmaker(engine).begin() as s:
        _row, key = create_key(s, "schemathesis", ["admin"])
    engine.dispose()
    with open(key_file, "w") as f:
        f.write(key)
    from service.api.app import create_app

    uvicorn.run(
        create_app(settings, start_scheduler=False),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
