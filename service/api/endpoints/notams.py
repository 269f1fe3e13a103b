"""NOTAMs as stored: raw text, parsed fields, geometry and parse problems."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from starlette.convertors import StringConvertor, register_url_convertor

from service.api.auth import require_read
from service.api.deps import SessionDep
from service.api.geojson import oriented
from service.api.middleware import body_limit
from service.api.pagination import ID_CURSOR, CursorQuery, decode_id_cursor, id_cursor, next_link
from service.api.params import TEXT, TimeQuery, UtcTime
from service.api.problems import ProblemError, responses
from service.api.schemas import Notam, NotamPage
from service.domain import NotamClass
from service.ingest import notam_from_row
from service.notam.features import parse_to_geojson, split_notams
from service.notam.lifecycle import active_set
from service.store.alerts import rfc3339
from service.store.models import NotamRow, PositionRow


def data_now(session: Session) -> datetime:
    """The data clock: the newest position's time (a replay of 2025 is in 2025), or the
    wall clock before any position arrived.  ``active`` is judged at this time, the same
    clock the airspace status runs on."""
    newest = session.scalar(select(func.max(PositionRow.observed_at)))
    return newest or datetime.now(UTC)


class NotamIdConvertor(StringConvertor):
    """A NOTAM id or number (``A0012/25`` has a slash) that is not ``parse``: so
    ``/notams/parse`` belongs to the POST endpoint alone, and any other method there is a 405
    whose ``Allow`` matches the spec, not a GET looking up a NOTAM called "parse"."""

    regex = r"(?!parse$)[^\x00]+"


register_url_convertor("notam_id", NotamIdConvertor())
# The same rule for the schema, without a lookahead (JSON Schema engines differ on those):
# any text without NUL but ``parse`` itself, which is the POST route's path.
_T = "[^\\x00]"
NOTAM_ID = (
    f"^({_T}{{1,4}}|{_T}{{6,}}|[^p\\x00]{_T}{{4}}|p[^a\\x00]{_T}{{3}}|pa[^r\\x00]{_T}{{2}}"
    f"|par[^s\\x00]{_T}|pars[^e\\x00])$"
)

router = APIRouter(
    prefix="/api/v1/notams",
    tags=["notams"],
    dependencies=[Depends(require_read)],
    responses=responses(401, 429),
)


def _est_grace(request: Request) -> timedelta:
    return timedelta(hours=request.app.state.settings.detection.notam_est_grace_hours)


def notam_to_dict(row: NotamRow, active: bool | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "kind": row.kind,
        "ref": row.ref,
        "fir": row.fir,
        "locations": row.locations or [],
        "qcode": row.qcode,
        "classification": row.classification,
        "classification_reason": row.classification_reason,
        "source_classification": row.source_classification,
        "valid_from": rfc3339(row.valid_from),
        "valid_to": rfc3339(row.valid_to),
        "valid_to_estimated": row.valid_to_estimated,
        "permanent": row.permanent,
        "schedule": row.schedule,
        "lower": row.lower,
        "upper": row.upper,
        "floor_ft": row.floor_ft,
        "ceiling_ft": row.ceiling_ft,
        "text": row.text,
        "raw_text": row.raw_text,
        "geometry": oriented(row.geometry),
        "problems": row.problems or [],
        "issued_at": rfc3339(row.issued_at),
        "fetched_at": rfc3339(row.fetched_at),
        "withdrawn_at": rfc3339(row.withdrawn_at),
        "active": active,
    }


@router.get("", response_model=NotamPage, responses=responses(400))
def list_notams(
    request: Request,
    session: SessionDep,
    fir: Annotated[
        str | None, Query(pattern="^[A-Za-z]{4}$", description="Only NOTAMs for this FIR")
    ] = None,
    classification: Annotated[
        NotamClass | None, Query(description="Only NOTAMs classified so")
    ] = None,
    active_at: Annotated[
        UtcTime | None,
        TimeQuery(
            "Only NOTAMs in force at this time; `active` is judged at it (default: data time)."
        ),
    ] = None,
    q: Annotated[str | None, Query(max_length=200, pattern=TEXT, description="Text search")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size")] = 100,
    cursor: Annotated[str | None, CursorQuery(ID_CURSOR)] = None,
) -> dict:
    """NOTAMs by id, one page at a time (follow `next`)."""
    after = decode_id_cursor(cursor) if cursor else None
    stmt = select(NotamRow).order_by(NotamRow.id)
    if fir:
        fir = fir.upper()
        stmt = stmt.where(or_(NotamRow.fir == fir, NotamRow.number.contains(fir)))
    if classification is not None:
        stmt = stmt.where(NotamRow.classification == classification.value)
    if q:
        like = f"%{q.upper()}%"
        stmt = stmt.where(or_(NotamRow.text.ilike(like), NotamRow.raw_text.ilike(like)))
    rows = list(session.scalars(stmt))
    when = active_at or data_now(session)
    # lifecycle (replacements, cancellations) needs every NOTAM, not only the filtered ones
    everything = [notam_from_row(r) for r in session.scalars(select(NotamRow))]
    active_ids = {n.id for n in active_set(everything, when, _est_grace(request))}
    if active_at is not None:
        rows = [r for r in rows if r.id in active_ids]
    if after is not None:
        rows = [r for r in rows if r.id > after]
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [notam_to_dict(r, r.id in active_ids) for r in rows],
        "next": next_link(request, id_cursor(rows[-1].id)) if more else None,
    }


MAX_PARSE_CHARS = 200_000
MAX_PARSE_NOTAMS = 500
# The body a MAX_PARSE_CHARS text can take: JSON may escape every character, up to 12 bytes
# for one beyond the BMP (a surrogate pair, two `\uXXXX`), plus the rest of the object.  With
# less (the global 64 KB), a schema-valid text was a 413, and a text one character over the
# limit was a 413 too instead of the model's 422: what schemathesis saw as a schema-violating
# body "accepted" (413 is not a rejection status to it), whenever the 413 reached it before
# the server closed the connection on the unread body.
MAX_PARSE_BODY_BYTES = 12 * MAX_PARSE_CHARS + 1024
PARSE_EXAMPLE = (
    "(A0302/26 NOTAMN\nQ) ZLHW/QRTCA/IV/BO/W/000/100/3916N10012E016\nA) ZLHW B) 2603010000 "
    "C) 2603312359\nE) AIRSPACE RESTRICTED WI N3900E10000-N3930E10010-N39\n13E10025BACK TO "
    "START.\nF) SFC G) FL100)"
)


class NotamParseRequest(BaseModel):
    """One or more NOTAM texts, as pasted (ICAO, US domestic/FDC or US international)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"text": PARSE_EXAMPLE}]})

    text: str = Field(min_length=1, max_length=MAX_PARSE_CHARS)
    year: int | None = Field(
        default=None, ge=1970, le=2100, description="Year for texts that give none"
    )


class ParsedProblem(BaseModel):
    code: str | None
    message: str


class ParsedNotamProperties(BaseModel):
    id: str
    number: str
    kind: str
    ref: str | None
    fir: str | None
    locations: list[str]
    qcode: str | None
    classification: str
    lower: str | None
    upper: str | None
    floor_ft: float
    ceiling_ft: float | None
    valid_from: str | None
    valid_to: str | None
    valid_to_estimated: bool
    permanent: bool
    schedule: str | None
    problems: list[ParsedProblem]
    area: str | None
    area_kind: str | None


class ParsedFeature(BaseModel):
    type: str = "Feature"
    geometry: dict[str, Any] | None
    properties: ParsedNotamProperties


class ParsedNotams(BaseModel):
    """GeoJSON FeatureCollection: one feature per area (a NOTAM without one: null geometry)."""

    type: str = "FeatureCollection"
    features: list[ParsedFeature]
    notams: int


@router.post(
    "/parse",
    response_model=ParsedNotams,
    responses=responses(413, 422),
    summary="Parse pasted NOTAM text to GeoJSON (nothing is stored)",
)
@body_limit(MAX_PARSE_BODY_BYTES)
async def parse_notams(body: NotamParseRequest, request: Request) -> dict:
    """Up to 200,000 characters of text and 500 NOTAMs (more NOTAMs: a 413)."""
    if len(split_notams(body.text)) > MAX_PARSE_NOTAMS:
        raise ProblemError(413, f"at most {MAX_PARSE_NOTAMS} NOTAMs per request")
    airspaces = getattr(request.app.state, "airspaces", None)
    collection = await run_in_threadpool(parse_to_geojson, body.text, airspaces, body.year)
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None and hasattr(metrics, "notam_parse_problems"):
        counted: set[str] = set()
        for feature in collection["features"]:
            props = feature["properties"]
            if props["id"] in counted:  # one NOTAM, several areas: count its problems once
                continue
            counted.add(props["id"])
            for problem in props["problems"]:
                metrics.notam_parse_problems.labels(problem["code"] or "other").inc()
    return collection


@router.get("/{notam_id:notam_id}", response_model=Notam, responses=responses(404))
def get_notam(
    notam_id: Annotated[
        str,
        Path(
            max_length=64,
            pattern=NOTAM_ID,
            description="Stored id or NOTAM number, e.g. A0012/25 (not `parse`)",
        ),
    ],
    session: SessionDep,
    request: Request,
) -> dict:
    """One NOTAM by id or number; `active` is judged at data time."""
    row = session.get(NotamRow, notam_id)
    if row is None:
        row = session.scalar(select(NotamRow).where(NotamRow.number == notam_id))
    if row is None:
        raise ProblemError(404, f"no NOTAM with id or number {notam_id}")
    everything = [notam_from_row(r) for r in session.scalars(select(NotamRow))]
    active = row.id in {
        n.id for n in active_set(everything, data_now(session), _est_grace(request))
    }
    return notam_to_dict(row, active)
