"""The app's routes as one flat list, and which of them a request is for.

FastAPI keeps included routers nested; the ``Guard`` middleware runs before FastAPI's own
routing and needs the route (its scope and its query parameters) itself, and a 405 must
list the methods of every route at the path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match


def _flatten(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flatten(inner.routes)
        else:
            yield route


def flat_routes(app: Any) -> list[BaseRoute]:
    """Every route, in matching order (built once per app)."""
    cached = getattr(app.state, "flat_routes", None)
    if cached is None:
        cached = app.state.flat_routes = list(_flatten(app.router.routes))
    return cached


def match_route(scope: dict[str, Any]) -> APIRoute | None:
    """The API route this request is for (None: no route, a wrong method, or not an API route)."""
    app = scope.get("app")
    if app is None:
        return None
    for route in flat_routes(app):
        if route.matches(scope)[0] == Match.FULL:
            return route if isinstance(route, APIRoute) else None
    return None


def allowed_methods(app: Any, scope: dict[str, Any]) -> list[str]:
    """Every method some route serves at this path (what a 405's ``Allow`` must list)."""
    methods: set[str] = set()
    for route in flat_routes(app):
        for method in getattr(route, "methods", None) or ():
            if route.matches({**scope, "method": method})[0] == Match.FULL:
                methods.add(method)
    return sorted(methods)
