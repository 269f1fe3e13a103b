"""RFC 9457 problem details for every error the API returns.

Each problem has a stable ``type`` URI so clients branch on it rather than on
the human-readable ``title``/``detail``.  Unexpected exceptions are logged with
a request id and answered with a 500 problem that leaks nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("firwatch.api")

PROBLEM_BASE = "https://firwatch.dev/problems/"
MEDIA_TYPE = "application/problem+json"

TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    422: "validation-error",
    429: "rate-limited",
    500: "internal-error",
    503: "unavailable",
}


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "https://firwatch.dev/problems/not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "no alert with id 999",
                    "instance": "/api/v1/alerts/999",
                }
            ]
        }
    )

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


class ProblemError(Exception):
    """Raise from a route to answer with a problem of a specific type."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None, headers=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or TYPES.get(status, "error")
        self.headers = headers


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str | None = None,
    *,
    kind: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=PROBLEM_BASE + (kind or TYPES.get(status, "error")),
        title=title,
        status=status,
        detail=detail,
        instance=str(request.url.path),
        errors=errors,
    ).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def install(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            request,
            exc.status,
            TITLES.get(exc.status, "Error"),
            exc.detail,
            kind=exc.kind,
            headers=exc.headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # Starlette names only the first route's methods
            from service.api.routing import allowed_methods

            allowed = allowed_methods(request.app, request.scope)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
        return problem_response(
            request,
            exc.status_code,
            TITLES.get(exc.status_code, "Error"),
            detail,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        """A malformed parameter (query, path, header) is a 400; a body that parses but breaks
        the model's rules is a 422."""
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": _message(e),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(first["loc"])
        in_body = any(e["loc"][:1] == ["body"] for e in errors)
        status = 422 if in_body else 400
        kind = "validation-error" if in_body else "invalid-parameter"
        if first["loc"] == ["query", "cursor"]:
            kind = "invalid-cursor"  # a cursor is opaque: its own type, whatever the rule
        return problem_response(
            request, status, TITLES[status], f"{where}: {first['msg']}", kind=kind, errors=errors
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "Internal error", "an unexpected error was logged")


def _message(error: dict[str, Any]) -> str:
    """Pydantic's message, except for a pattern mismatch: the value and where its syntax is
    written, rather than a regular expression a reader has to decode."""
    if error.get("type") == "string_pattern_mismatch":
        value = str(error.get("input", ""))[:60]
        return f"{value!r} does not have this parameter's syntax (its pattern: /openapi.json)"
    return str(error.get("msg", ""))


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problem statuses a route can return."""
    return {
        code: {
            "model": Problem,
            "description": TITLES.get(code, "Error"),
            "content": {MEDIA_TYPE: {}},
        }
        for code in codes
    }
