"""Airspace status (with its evidence), boundary geometry and traffic counts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import select

from service.api.auth import require_read
from service.api.charts import chart_events, traffic_svg
from service.api.deps import SessionDep
from service.api.geojson import GeoJSONResponse, fir_geojson
from service.api.params import TimeQuery, UtcTime
from service.api.problems import ProblemError, responses
from service.api.schemas import AirspaceState, Feature, TrafficSeries
from service.store.alerts import rfc3339
from service.store.models import AirspaceStatusRow, AlertRow, TrafficSampleRow

router = APIRouter(
    prefix="/api/v1/airspaces",
    tags=["airspaces"],
    dependencies=[Depends(require_read)],
    responses=responses(401, 429),
)

Code = Annotated[
    str, Path(pattern="^[A-Za-z]{4}$", description="FIR ICAO code, e.g. SVZM", examples=["SVZM"])
]
STATUSES = ("CLOSED", "RESTRICTED", "ADVISORY", "NORMAL", "UNKNOWN")
# ?status=: status names in any case, separated by commas (spaces and empty items allowed).
# The whole rule is the pattern, so a value is schema-valid exactly when the API takes it.
_NAME = "(" + "|".join("".join(f"[{c}{c.lower()}]" for c in s) for s in STATUSES) + ")"
STATUS_LIST = f"^[ ,]*{_NAME}( *,[ ,]*{_NAME})*[ ,]*$"
SUMMARY_TOP = 20


class DisruptedAirspace(BaseModel):
    airspace: str
    name: str
    status: str
    since: str | None
    foreign_count: int | None
    baseline_foreign: float | None
    # observed foreign aircraft / expected (None without a baseline)
    traffic_ratio: float | None


class WorldSummary(BaseModel):
    """How many watched airspaces are in each status, and the most disrupted first."""

    watched: int
    world: bool
    counts: dict[str, int]
    updated_at: str | None
    most_disrupted: list[DisruptedAirspace]


def _statuses(text: str | None) -> set[str] | None:
    if text is None:
        return None
    wanted = {s.strip().upper() for s in text.split(",") if s.strip()}
    unknown = sorted(wanted - set(STATUSES))
    if unknown or not wanted:
        raise ProblemError(
            422, f"status must be a comma-separated list of {', '.join(STATUSES)}; got {text!r}"
        )
    return wanted


def _state(request: Request, code: str, row: AirspaceStatusRow | None) -> dict[str, Any]:
    airspace = request.app.state.airspaces.get(code)
    if row is None:
        watched = code in request.app.state.settings.watch.airspaces
        return {
            "airspace": code,
            "name": airspace.name,
            # before the first poll that covers it nothing is known: never claim NORMAL
            "status": "UNKNOWN",
            "since": None,
            "updated_at": None,
            "evidence": {"note": "no data yet" if watched else "not a watched airspace"},
        }
    evidence = dict(row.evidence or {})
    evidence.setdefault("foreign_count", row.foreign_count)
    evidence.setdefault("domestic_count", row.domestic_count)
    evidence.setdefault("baseline_foreign", row.baseline_foreign)
    return {
        "airspace": code,
        "name": airspace.name,
        "status": row.status,
        "since": rfc3339(row.since),
        "updated_at": rfc3339(row.updated_at),
        "evidence": evidence,
    }


def _known(request: Request, code: str) -> str:
    code = code.upper()
    if code not in request.app.state.airspaces:
        raise ProblemError(404, f"unknown airspace {code}: not in the FIR data")
    return code


@router.get("", response_model=list[AirspaceState], responses=responses(422))
def list_airspaces(
    request: Request,
    session: SessionDep,
    status: Annotated[
        str | None,
        Query(
            description="only airspaces in these statuses (comma-separated)",
            examples=["RESTRICTED,CLOSED"],
            pattern=STATUS_LIST,
            max_length=200,
        ),
    ] = None,
) -> Response:
    """The watched airspaces and their current status, with the evidence behind it (with
    ``watch.airspaces: all``, every FIR of the world; ``?status=RESTRICTED,CLOSED`` keeps the
    disrupted ones)."""
    wanted = _statuses(status)

    def build() -> list[dict]:
        rows = {r.airspace: r for r in session.scalars(select(AirspaceStatusRow))}
        states = [
            _state(request, c, rows.get(c)) for c in request.app.state.settings.watch.airspaces
        ]
        return [s for s in states if wanted is None or s["status"] in wanted]

    return request.app.state.cache.respond(request, build)


@router.get("/summary", response_model=WorldSummary)
def summary(request: Request, session: SessionDep) -> Response:
    """A compact summary of every watched airspace: counts per status, and the most disrupted
    (CLOSED before RESTRICTED before ADVISORY, then by the lowest traffic ratio)."""
    settings = request.app.state.settings

    def build() -> dict:
        watched = settings.watch.airspaces
        rows = {r.airspace: r for r in session.scalars(select(AirspaceStatusRow))}
        counts = dict.fromkeys(STATUSES, 0)
        disrupted = []
        for code in watched:
            row = rows.get(code)
            status = row.status if row is not None else "NORMAL"
            counts[status] = counts.get(status, 0) + 1
            if row is None or status == "NORMAL":
                continue
            baseline = row.baseline_foreign
            ratio = (
                round(row.foreign_count / baseline, 3)
                if baseline and row.foreign_count is not None
                else None
            )
            disrupted.append(
                {
                    "airspace": code,
                    "name": request.app.state.airspaces.get(code).name,
                    "status": status,
                    "since": rfc3339(row.since),
                    "foreign_count": row.foreign_count,
                    "baseline_foreign": baseline,
                    "traffic_ratio": ratio,
                }
            )
        disrupted.sort(
            key=lambda d: (STATUSES.index(d["status"]), d["traffic_ratio"] or 0.0, d["airspace"])
        )
        updated = [r.updated_at for c, r in rows.items() if r.updated_at is not None]
        return {
            "watched": len(watched),
            "world": bool(settings.watch.world),
            "counts": counts,
            "updated_at": rfc3339(max(updated)) if updated else None,
            "most_disrupted": disrupted[:SUMMARY_TOP],
        }

    return request.app.state.cache.respond(request, build)


@router.get("/{code}", response_model=AirspaceState, responses=responses(404))
def get_airspace(code: Code, request: Request, session: SessionDep) -> Response:
    """One FIR's status (any FIR in the seeds; unwatched ones are UNKNOWN)."""
    code = _known(request, code)
    return request.app.state.cache.respond(
        request, lambda: _state(request, code, session.get(AirspaceStatusRow, code))
    )


@router.get(
    "/{code}/geometry",
    response_class=GeoJSONResponse,
    responses={200: {"model": Feature, "description": "A GeoJSON Feature"}, **responses(404)},
)
def get_geometry(code: Code, request: Request) -> GeoJSONResponse:
    """The boundary as a GeoJSON Feature (lon/lat, counter-clockwise outer rings)."""
    code = _known(request, code)
    airspace = request.app.state.airspaces.get(code)
    return GeoJSONResponse(
        {
            "type": "Feature",
            "id": code,
            "properties": {"icao": code, "name": airspace.name},
            "geometry": fir_geojson(request.app.state, code),
        }
    )


@router.get("/{code}/traffic", response_model=TrafficSeries, responses=responses(404))
def get_traffic(
    code: Code,
    request: Request,
    session: SessionDep,
    since: Annotated[UtcTime | None, TimeQuery("Samples at or after this data time.")] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="Most samples returned")] = 500,
) -> dict:
    """Foreign and domestic airborne counts per poll, newest first."""
    code = _known(request, code)
    stmt = (
        select(TrafficSampleRow)
        .where(TrafficSampleRow.airspace == code)
        .order_by(TrafficSampleRow.observed_at.desc())
        .limit(limit)
    )
    if since is not None:
        stmt = stmt.where(TrafficSampleRow.observed_at >= since)
    return {
        "airspace": code,
        "items": [
            {
                "observed_at": rfc3339(s.observed_at),
                "source": s.source,
                "foreign_count": s.foreign_count,
                "domestic_count": s.domestic_count,
            }
            for s in session.scalars(stmt)
        ],
    }


@router.get(
    "/{code}/traffic.svg",
    responses={
        200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}, "description": "SVG"},
        **responses(404),
    },
    response_class=Response,
)
def get_traffic_svg(code: Code, request: Request, session: SessionDep) -> Response:
    """Foreign and domestic aircraft inside the FIR over time, with the baseline, as SVG."""
    code = _known(request, code)
    rows = session.scalars(
        select(TrafficSampleRow)
        .where(TrafficSampleRow.airspace == code)
        .order_by(TrafficSampleRow.observed_at.desc())
        .limit(2000)
    ).all()
    merged: dict[datetime, tuple[int, int]] = {}
    for s in rows:  # several covering feeds may sample the same moment: keep the larger count
        f, d = merged.get(s.observed_at, (0, 0))
        merged[s.observed_at] = (max(f, s.foreign_count), max(d, s.domestic_count))
    samples = [(t, f, d) for t, (f, d) in sorted(merged.items())]
    status = session.get(AirspaceStatusRow, code)
    baseline = status.baseline_foreign if status is not None else None
    events = chart_events(
        session.scalars(
            select(AlertRow).where(
                AlertRow.airspace == code,
                AlertRow.type.in_(("notam.active", "airspace.traffic_collapse")),
            )
        )
    )
    return Response(
        traffic_svg(code, samples, baseline, events),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-cache"},
    )
