"""Plain ASGI middleware (cheaper than ``@app.middleware("http")``, and safe for SSE streams)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request

from service.api.problems import problem_response
from service.logs import request_id


class RequestId:
    """Tag each request (and every log line written for it) with an id, echoed back."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"")[:64].decode("latin-1")
        rid = given or uuid.uuid4().hex
        token = request_id.set(rid)

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


class BodyLimit:
    """Refuse a declared body larger than the limit before reading it (413 problem)."""

    def __init__(self, app: Any, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
                response = problem_response(
                    Request(scope), 413, "Payload too large",
                    f"request bodies are limited to {self.max_bytes} bytes",
                )  # fmt: skip
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
