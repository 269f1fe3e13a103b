"""``firwatch alerts``: the stored alerts, as JSON or as a table a person can scan."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from service.cli_support import ConfigOpt, check_database, fail, settings_or_exit, utc_option


def alerts(
    config: ConfigOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="json or table")] = "table",
    type_: Annotated[
        str | None, typer.Option("--type", help="Alert type, e.g. flight.rerouted")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only alerts opened at or after (RFC 3339)")
    ] = None,
) -> None:
    """Print stored alerts."""
    from sqlalchemy import select

    from service.domain import AlertType
    from service.store.alerts import alert_to_dict
    from service.store.db import make_engine, make_sessionmaker
    from service.store.models import AlertRow

    if fmt not in {"json", "table"}:
        fail("--format must be json or table")
    if type_ is not None and type_ not in set(AlertType):
        fail(f"--type {type_!r} is not an alert type; one of: {', '.join(AlertType)}")
    settings = settings_or_exit(config)
    check_database(settings)
    stmt = select(AlertRow).order_by(AlertRow.id)
    if type_:
        stmt = stmt.where(AlertRow.type == type_)
    since_at = utc_option("--since", since)
    if since_at is not None:
        stmt = stmt.where(AlertRow.opened_at >= since_at)
    engine = make_engine(settings.resolved_database_url)
    with make_sessionmaker(engine)() as session:
        rows = [alert_to_dict(r) for r in session.scalars(stmt)]
    engine.dispose()
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    typer.echo(alerts_table(rows))


def alerts_table(rows: list[dict]) -> str:
    """A table a person can scan: a header, when each alert happened (data time, UTC) and when
    it last changed, newest last as stored.

    >>> print(alerts_table([]))
    no alerts
    """
    if not rows:
        return "no alerts"
    header = ("ID", "OPENED (UTC)", "UPDATED (UTC)", "STATUS", "SEVERITY", "TYPE", "TITLE")

    def when(value: str | None) -> str:
        return value.replace("T", " ")[:16] if value else "-"

    lines = []
    for r in rows:
        extra = f" +{r['extra_distance_km']:.0f} km" if r.get("extra_distance_km") else ""
        lines.append(
            (
                str(r["id"]),
                when(r["opened_at"]),
                when(r["resolved_at"] or r["updated_at"]),
                r["status"],
                r["severity"],
                r["type"],
                r["title"] + extra,
            )
        )
    widths = [max(len(row[i]) for row in (header, *lines)) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in (header, *lines)
    )
