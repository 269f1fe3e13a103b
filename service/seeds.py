"""Loading of the seed files that are not geometry (watched routes)."""

from __future__ import annotations

from pathlib import Path

import yaml


class SeedError(ValueError):
    """A seed file is missing or malformed; the message names the file and entry."""


def load_watched_routes(path: Path) -> list[tuple[str, str]]:
    """City pairs from a ``routes:`` list of ``{origin, destination}`` mappings.

    >>> load_watched_routes(Path("seeds/watched_routes.yaml"))[0]
    ('EHAM', 'TNCC')
    """
    if not path.exists():
        raise SeedError(f"{path}: watched routes file not found")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    routes = []
    for i, entry in enumerate(data.get("routes") or []):
        try:
            origin = str(entry["origin"]).upper()
            destination = str(entry["destination"]).upper()
        except (KeyError, TypeError) as exc:
            raise SeedError(f"{path}: routes[{i}] needs origin and destination") from exc
        if len(origin) != 4 or len(destination) != 4:
            raise SeedError(f"{path}: routes[{i}] codes must be 4-letter ICAO")
        routes.append((origin, destination))
    return routes
