"""Response and request models: what the OpenAPI document promises.

Timestamps are RFC 3339 strings with ``Z``; distances carry their unit in the
field name; geometries are GeoJSON (lon/lat).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StrictBool, model_validator

from service.domain import AlertType, Severity


class Alert(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    "type": "flight.rerouted",
                    "severity": "warning",
                    "status": "open",
                    "title": "KLM737 EHAM–TNCC flew around SVZM: +412 km (+222 NM, ~30 min)",
                    "airspace": "SVZM",
                    "flight_id": "484b2a-KLM737-20251121T1805Z",
                    "icao24": "484b2a",
                    "callsign": "KLM737",
                    "origin": "EHAM",
                    "destination": "TNCC",
                    "actual_destination": "TNCC",
                    "extra_distance_km": 412.3,
                    "extra_distance_nm": 222.6,
                    "opened_at": "2025-11-22T03:10:00Z",
                    "updated_at": "2026-11-25T07:00:00Z",
                    "resolved_at": None,
                    "observed_at": "2025-11-22T03:10:00Z",
                    "evidence": {"great_circle_km": 7843.1, "flown_km": 8255.4},
                }
            ]
        }
    )

    id: int
    type: str
    severity: str
    status: Literal["open", "resolved"]
    title: str
    airspace: str | None
    flight_id: str | None
    icao24: str | None
    callsign: str | None
    origin: str | None
    destination: str | None
    actual_destination: str | None
    extra_distance_km: float | None
    extra_distance_nm: float | None
    opened_at: str
    updated_at: str
    resolved_at: str | None
    observed_at: str = Field(description="Data time of the latest observation behind the alert")
    evidence: dict[str, Any]


class Page(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [], "next": "/api/v1/alerts?limit=50&cursor=42"}]}
    )

    next: str | None = Field(description="Link to the next page, absent on the last page")


class AlertPage(Page):
    items: list[Alert]


class AirspaceState(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "airspace": "SVZM",
                    "name": "Maiquetia",
                    "status": "RESTRICTED",
                    "since": "2025-11-21T18:40:00Z",
                    "updated_at": "2025-11-22T04:00:00Z",
                    "evidence": {
                        "foreign_count": 0,
                        "domestic_count": 5,
                        "baseline_foreign": 8.0,
                        "notam_ids": ["A0012/25"],
                    },
                }
            ]
        }
    )

    airspace: str
    name: str
    status: Literal["NORMAL", "ADVISORY", "RESTRICTED", "CLOSED", "UNKNOWN"]
    since: str | None
    updated_at: str | None
    evidence: dict[str, Any]


class TrafficSample(BaseModel):
    observed_at: str = Field(description="Data time of the poll (RFC 3339, Z)")
    source: str = Field(description="The feed that saw it")
    foreign_count: int
    domestic_count: int


class TrafficSeries(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "airspace": "SVZM",
                    "items": [
                        {
                            "observed_at": "2025-11-22T04:00:00Z",
                            "source": "opensky",
                            "foreign_count": 0,
                            "domestic_count": 5,
                        }
                    ],
                }
            ]
        }
    )

    airspace: str
    items: list[TrafficSample]


class Flight(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "484b2a-20251121T180500Z",
                    "icao24": "484b2a",
                    "callsign": "KLM737",
                    "domestic": False,
                    "first_seen": "2025-11-21T18:05:00Z",
                    "last_seen": "2025-11-22T03:10:00Z",
                    "origin": "EHAM",
                    "destination": "TNCC",
                    "actual_destination": "TNCC",
                    "route_source": "routeset",
                    "state": "landed",
                    "position_count": 112,
                    "track_km": 2310.5,
                    "great_circle_km": 7838.0,
                    "extra_distance_km": 23.6,
                    "airspaces": [],
                }
            ]
        }
    )

    id: str
    icao24: str
    callsign: str | None
    domestic: bool
    first_seen: str
    last_seen: str
    origin: str | None
    destination: str | None
    actual_destination: str | None
    route_source: str | None
    state: str
    position_count: int
    track_km: float | None
    great_circle_km: float | None
    extra_distance_km: float | None
    airspaces: list[str]


class FlightPage(Page):
    items: list[Flight]


class Notam(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "NOTAM_1_75120012",
                    "number": "A0012/25",
                    "kind": "N",
                    "ref": None,
                    "fir": "SVZM",
                    "locations": ["KICZ"],
                    "qcode": None,
                    "classification": "warning",
                    "classification_reason": "text: SECURITY, HAZARDOUS SITUATION",
                    "source_classification": "INTL",
                    "valid_from": "2025-11-21T17:43:00Z",
                    "valid_to": "2026-02-19T23:59:00Z",
                    "valid_to_estimated": False,
                    "permanent": False,
                    "schedule": None,
                    "lower": "SFC",
                    "upper": "UNL",
                    "floor_ft": 0.0,
                    "ceiling_ft": None,
                    "text": "SECURITY...UNITED STATES OF AMERICA ADVISORY ...",
                    "raw_text": "KICZ A0012/25 NOTAM...",
                    "geometry": {"type": "MultiPolygon", "coordinates": []},
                    "problems": [],
                    "issued_at": "2025-11-21T18:08:00Z",
                    "fetched_at": "2025-11-21T18:10:00Z",
                    "active": True,
                }
            ]
        }
    )

    id: str
    number: str
    kind: str
    ref: str | None
    fir: str | None
    locations: list[str]
    qcode: str | None
    classification: str
    classification_reason: str
    source_classification: str | None
    valid_from: str | None
    valid_to: str | None
    valid_to_estimated: bool
    permanent: bool
    schedule: str | None
    lower: str | None
    upper: str | None
    floor_ft: float | None
    ceiling_ft: float | None
    text: str
    raw_text: str
    geometry: dict[str, Any] | None
    problems: list[str]
    issued_at: str | None
    fetched_at: str
    withdrawn_at: str | None = Field(
        default=None, description="When the source stopped publishing it (no longer in force)"
    )
    active: bool | None = Field(
        default=None,
        description="Whether in force at `active_at`, else at data time (the newest position's time)",
    )


class NotamPage(Page):
    items: list[Notam]


Icao = Annotated[str, Field(pattern="^[A-Z]{4}$")]
RouteCode = Annotated[str, Field(pattern="^[A-Z]{4}-[A-Z]{4}$")]
# no NUL (PostgreSQL text cannot store it) and no other control characters but tab/newline
PlainText = Annotated[str, Field(max_length=500, pattern="^[^\\x00-\\x08\\x0b-\\x1f\\x7f]*$")]
WebhookUrl = Annotated[AnyHttpUrl, Field(description="http(s) URL the service POSTs to")]


class WebhookFilters(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"airspaces": ["SVZM"], "routes": ["EHAM-TNCC"], "min_severity": "warning"}
            ]
        },
    )

    airspaces: list[Icao] = Field(
        default_factory=list, max_length=100, description="Only alerts on these airspaces"
    )
    routes: list[RouteCode] = Field(
        default_factory=list, max_length=100, description='Only these routes, e.g. "EHAM-TNCC"'
    )
    min_severity: Severity | None = Field(default=None, description="Only this severity or worse")


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://ops.example.com/hooks/firwatch",
                    "event_types": ["flight.rerouted", "airspace.status_changed"],
                    "filters": {"airspaces": ["SVZM"], "min_severity": "warning"},
                    "description": "dispatch desk",
                }
            ]
        },
    )

    url: WebhookUrl
    event_types: list[AlertType] = Field(
        default_factory=list, max_length=20, description="Empty = every type"
    )
    filters: WebhookFilters = Field(default_factory=WebhookFilters)
    description: PlainText = Field(default="", description="Free text for operators")
    enabled: StrictBool = Field(default=True, description="Whether messages are sent")


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"enabled": False}, {"event_types": ["flight.diverted"]}]},
    )

    # every field optional, none nullable: an absent field is left as it is
    url: WebhookUrl = None  # type: ignore[assignment]
    event_types: list[AlertType] = Field(default=None, max_length=20)  # type: ignore[assignment]
    filters: WebhookFilters = None  # type: ignore[assignment]
    description: PlainText = None  # type: ignore[assignment]
    enabled: StrictBool = None  # type: ignore[assignment]

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(k for k, v in data.items() if v is None)
            if nulls:
                raise ValueError(f"{', '.join(nulls)} cannot be null: leave a field out to keep it")
        return data


class Webhook(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "wh_3f2a9c1b7d4e5f60",
                    "url": "https://ops.example.com/hooks/firwatch",
                    "event_types": ["flight.rerouted"],
                    "filters": {"airspaces": ["SVZM"]},
                    "description": "dispatch desk",
                    "enabled": True,
                    "disabled_reason": None,
                    "created_at": "2026-11-25T07:00:00Z",
                    "updated_at": "2026-11-25T07:00:00Z",
                }
            ]
        }
    )

    id: str
    url: str
    event_types: list[str]
    filters: dict[str, Any]
    description: str
    enabled: bool
    disabled_reason: str | None
    created_at: str
    updated_at: str | None


class WebhookWithSecret(Webhook):
    secret: str = Field(description="whsec_ signing secret: shown only on creation and rotation")


class Delivery(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "msg_5c1d0e9f8a7b6c5d4e3f2a1b",
                    "webhook_id": "wh_3f2a9c1b7d4e5f60",
                    "alert_id": 42,
                    "event_type": "flight.rerouted",
                    "status": "pending",
                    "attempts": 2,
                    "next_attempt_at": "2026-11-25T07:01:00Z",
                    "last_status_code": 503,
                    "last_error": "HTTP 503",
                    "latency_ms": 41.7,
                    "created_at": "2026-11-25T07:00:00Z",
                    "delivered_at": None,
                }
            ]
        }
    )

    id: str = Field(description="The webhook-id header, stable across retries")
    webhook_id: str
    alert_id: int | None
    event_type: str
    status: Literal["pending", "delivered", "dead", "cancelled"]
    attempts: int
    next_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    latency_ms: float | None
    created_at: str
    delivered_at: str | None


class DeliveryPage(Page):
    items: list[Delivery]


class FeedHealth(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "last_success_at": "2026-11-25T07:00:00Z",
                    "last_error_at": None,
                    "last_error": None,
                    "polls": 288,
                    "failures": 0,
                    "rejected": 3,
                    "credits_remaining": 2848,
                }
            ]
        }
    )

    last_success_at: str | None
    last_error_at: str | None
    last_error: str | None
    polls: int
    failures: int
    rejected: int
    credits_remaining: int | None


class Health(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "database": "ok",
                    "scheduler": "leader",
                    "feeds": {
                        "opensky": {
                            "last_success_at": "2026-11-25T07:00:00Z",
                            "last_error_at": None,
                            "last_error": None,
                            "polls": 288,
                            "failures": 0,
                            "rejected": 3,
                            "credits_remaining": 2848,
                        }
                    },
                }
            ]
        }
    )

    status: Literal["ok", "degraded"]
    database: str
    scheduler: str
    feeds: dict[str, FeedHealth]


class Geometry(BaseModel):
    """A GeoJSON geometry (RFC 7946): lon/lat, counter-clockwise outer rings."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"type": "LineString", "coordinates": [[-66.99, 10.6], [-68.96, 12.19]]}]
        }
    )

    type: Literal[
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    ]
    coordinates: list[Any] = Field(
        default=None, description="Positions [lon, lat] (absent on a GeometryCollection)"
    )  # type: ignore[assignment]
    geometries: list[dict[str, Any]] = Field(
        default=None, description="Member geometries (GeometryCollection only)"
    )  # type: ignore[assignment]


class Feature(BaseModel):
    """A GeoJSON Feature."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "Feature",
                    "id": "SVZM",
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[-70, 10], [-60, 10], [-60, 15], [-70, 10]]],
                    },
                    "properties": {"icao": "SVZM", "name": "Maiquetia"},
                }
            ]
        }
    )

    type: Literal["Feature"]
    id: str | int = Field(default=None, description="The feature's id, when it has one")  # type: ignore[assignment]
    bbox: list[float] = Field(default=None, description="west, south, east, north")  # type: ignore[assignment]
    geometry: Geometry | None
    properties: dict[str, Any] | None


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection, with the data time of its newest position."""

    type: Literal["FeatureCollection"]
    bbox: list[float] = Field(default=None, description="The view: west, south, east, north")  # type: ignore[assignment]
    features: list[Feature]
    data_time: str | None = Field(
        default=None, description="Data time of the newest position drawn (RFC 3339, Z)"
    )


class Live(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "alive"}]})

    status: Literal["alive"]


class Ready(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ready",
                    "checks": {"database": "ok", "migrations": "ok", "scheduler": "leader"},
                }
            ]
        }
    )

    status: Literal["ready", "not ready"]
    checks: dict[str, str] = Field(
        description="database (ok or the error), migrations (ok or which revision), scheduler"
    )
