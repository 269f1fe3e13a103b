"""``firwatch notam``: NOTAM tools that need no database and no network."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from service.cli_support import ConfigOpt, fail, settings_or_exit

notam_app = typer.Typer(no_args_is_help=True, help="NOTAM tools (no database, no network).")


MAX_NOTAM_INPUT_BYTES = 5_000_000


@notam_app.command("parse")
def notam_parse(
    file: Annotated[str, typer.Argument(help="NOTAM text file, or - for standard input")],
    config: ConfigOpt = None,
    year: Annotated[
        int | None, typer.Option(help="Year for texts that give none (US plain text)")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Exit 1 when any NOTAM has a problem (still prints it)")
    ] = False,
) -> None:
    """Print the NOTAMs in FILE as GeoJSON: one feature per area, with id, Q-code, limits,
    validity and problems in the properties. FIRs named in the text come from seeds."""
    from service.geo.airspaces import AirspaceRegistry
    from service.notam.features import parse_to_geojson, split_notams

    settings = settings_or_exit(config)
    try:
        if file == "-":
            raw = sys.stdin.buffer.read(MAX_NOTAM_INPUT_BYTES + 1)
        else:
            with open(file, "rb") as handle:
                raw = handle.read(MAX_NOTAM_INPUT_BYTES + 1)
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
    if len(raw) > MAX_NOTAM_INPUT_BYTES:
        fail(f"{file}: more than {MAX_NOTAM_INPUT_BYTES} bytes of NOTAM text")
    text = raw.decode("utf-8", errors="replace")
    if not split_notams(text):
        fail(f"{file}: no NOTAM text")
    airspaces = AirspaceRegistry.from_geojson(settings.path(settings.seeds_dir) / "firs.geojson")
    collection = parse_to_geojson(text, airspaces, year_hint=year)
    typer.echo(json.dumps(collection, indent=2, ensure_ascii=False))
    if strict and any(f["properties"]["problems"] for f in collection["features"]):
        raise typer.Exit(1)
