"""Plain ASGI middleware (cheaper than ``@app.middleware("http")``, and safe for SSE streams).

``Guard`` is the API's front door, run on every request before anything reads its body:
reject what no route can take (NUL bytes, unknown query parameters), authenticate and
rate-limit, check the route's scope, and only then read the body, counting the bytes as
they stream in (``Content-Length`` or chunked alike) and stopping at the limit.  An
unauthenticated client can therefore make the process hold nothing of its body, and an
authenticated one at most ``api.max_body_bytes`` (or a route's own larger cap, ``body_limit``:
``POST /notams/parse`` takes the 2.4 MB its 200,000-character text may need once escaped).
"""

from __future__ import annotations

import uuid
from typing import Any

import anyio.to_thread
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers
from starlette.requests import Request

from service.api import auth
from service.api.problems import TITLES, ProblemError, problem_response
from service.api.routing import match_route
from service.logs import request_id

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def body_limit(max_bytes: int):
    """Let one route take bodies up to ``max_bytes`` (when that is above ``api.max_body_bytes``).

    For a route whose model allows more than the global cap: its schema's ``maxLength`` must
    fit in bytes, or a schema-valid body would be a 413, and a body one character too long
    would be a 413 instead of the model's 422.
    """

    def mark(endpoint):
        endpoint.max_body_bytes = max_bytes
        return endpoint

    return mark


class RequestId:
    """Tag each request (and every log line written for it) with an id, echoed back."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"")[:64].decode("latin-1")
        rid = "".join(c for c in given if c.isalnum() or c in "-_.") or uuid.uuid4().hex
        token = request_id.set(rid)

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


class RouteRules:
    """What each route needs, read once from its dependencies: scope and query parameters."""

    def __init__(self) -> None:
        self._rules: dict[int, tuple[str | None, frozenset[str]]] = {}

    def of(self, route: APIRoute) -> tuple[str | None, frozenset[str]]:
        rule = self._rules.get(id(route))
        if rule is None:
            every = [route.dependant, *_walk(route.dependant)]
            calls = {d.call for d in every}
            need = (
                "admin"
                if auth.require_admin in calls
                else "read"
                if auth.require_read in calls
                else None
            )
            names = frozenset(p.alias for d in every for p in d.query_params)
            rule = self._rules[id(route)] = (need, names)
        return rule


def _walk(dependant: Any):
    for dep in dependant.dependencies:
        yield dep
        yield from _walk(dep)


def has_nul(scope: dict[str, Any]) -> bool:
    """A NUL byte anywhere in the path or query (PostgreSQL text cannot hold one)."""
    raw = (scope.get("raw_path") or b"") + b"?" + scope.get("query_string", b"")
    return "\x00" in scope["path"] or b"\x00" in raw or b"%00" in raw.lower()


class Guard:
    """Validate, authenticate, rate-limit and authorize; then read the body within the limit."""

    def __init__(self, app: Any, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes
        self.rules = RouteRules()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            route = await self._check(scope)
            body = await self._read_body(scope, receive, self._limit(route))
        except ProblemError as exc:
            await self._refuse(scope, receive, send, exc)
            return
        except SQLAlchemyError:
            exc = ProblemError(503, "the database is unavailable; try again shortly")
            await self._refuse(scope, receive, send, exc)
            return
        if body is None:
            await self.app(scope, receive, send)
            return
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _check(self, scope: dict[str, Any]) -> APIRoute | None:
        """Refuse what no route may take, authenticate; the route the request is for."""
        if has_nul(scope):
            raise ProblemError(
                400, "NUL bytes are not allowed in paths or parameters", kind="invalid-parameter"
            )
        route = match_route(scope)
        if route is None:
            return None  # documentation, static files, 404 and 405 answers
        need, names = self.rules.of(route)
        if names is not None:
            unknown = sorted({k for k, _ in Request(scope).query_params.multi_items()} - names)
            if unknown:
                known = ", ".join(sorted(names)) or "none"
                raise ProblemError(
                    400,
                    f"unknown query parameter {unknown[0]!r} (this endpoint takes: {known})",
                    kind="unknown-parameter",
                )
        if need is None:
            return route
        state = scope["app"].state
        if need == "read" and not state.settings.api.reads_need_key():
            need = None
        headers = Headers(scope=scope)
        host = scope["client"][0] if scope.get("client") else None
        args = (state.sessionmaker, headers, host, need, state.rate_limiter)
        if auth.presented_key(headers):  # a database lookup: off the event loop
            row = await anyio.to_thread.run_sync(auth.authenticate, *args)
        else:
            row = auth.authenticate(*args)
        scope[auth.SCOPE_KEY] = row
        scope[auth.SCOPE_CHECKED] = True
        return route

    def _limit(self, route: APIRoute | None) -> int:
        own = getattr(route.endpoint, "max_body_bytes", 0) if route is not None else 0
        return max(self.max_bytes, own)

    async def _read_body(self, scope: dict[str, Any], receive, limit: int) -> bytes | None:
        """The whole body, or a 413 as soon as it passes the limit (None: not read here)."""
        if scope["method"] not in BODY_METHODS:
            return None
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise self._too_large(limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ProblemError(400, "the client went away mid-request")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise self._too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    def _too_large(self, limit: int) -> ProblemError:
        return ProblemError(413, f"request bodies are limited to {limit} bytes")

    async def _refuse(self, scope, receive, send, exc: ProblemError) -> None:
        response = problem_response(
            Request(scope),
            exc.status,
            TITLES.get(exc.status, "Error"),
            exc.detail,
            kind=exc.kind,
            headers=exc.headers,
        )
        # the rest of a refused body is not read: close rather than reuse the connection
        response.headers["connection"] = "close"
        await response(scope, receive, send)


class SecurityHeaders:
    """Headers every response gets: no MIME sniffing, no framing, no referrer leaks."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
    )

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.HEADERS if k not in have]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
