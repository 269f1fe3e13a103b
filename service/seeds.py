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
    return [route for route, _ in _route_entries(path)]


def load_route_schedules(path: Path) -> dict[tuple[str, str], float]:
    """Scheduled flights per day of the watched routes that give ``flights_per_day``: the
    expectation a route's landings are judged against until it has a day of history.

    >>> load_route_schedules(Path("seeds/watched_routes.yaml"))[("TTPP", "SVMI")]
    6.0
    """
    out = {}
    for i, (route, entry) in enumerate(_route_entries(path)):
        if entry.get("flights_per_day") is None:
            continue
        try:
            per_day = float(entry["flights_per_day"])
        except (TypeError, ValueError) as exc:
            raise SeedError(f"{path}: routes[{i}].flights_per_day must be a number") from exc
        if per_day <= 0:
            raise SeedError(f"{path}: routes[{i}].flights_per_day must be above 0")
        out[route] = per_day
    return out


def _route_entries(path: Path) -> list[tuple[tuple[str, str], dict]]:
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
        routes.append(((origin, destination), entry))
    return routes


def load_local_routes(path: Path) -> dict[str, tuple[str, str]]:
    """Callsign → (origin, destination) from a ``callsign,origin,destination`` CSV.

    >>> load_local_routes(Path("seeds/routes.csv"))["KLM737"]
    ('EHAM', 'TNCC')
    """
    import csv

    if not path.exists():
        raise SeedError(f"{path}: routes table not found")
    table: dict[str, tuple[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = (line for line in handle if line.strip() and not line.startswith("#"))
        for i, row in enumerate(csv.DictReader(rows)):
            try:
                callsign = row["callsign"].strip().upper()
                origin, destination = (
                    row["origin"].strip().upper(),
                    row["destination"].strip().upper(),
                )
            except (KeyError, AttributeError) as exc:
                raise SeedError(f"{path}: row {i + 1} needs callsign, origin, destination") from exc
            if len(origin) != 4 or len(destination) != 4 or not callsign:
                raise SeedError(f"{path}: row {i + 1}: codes must be 4-letter ICAO")
            table[callsign] = (origin, destination)
    return table
