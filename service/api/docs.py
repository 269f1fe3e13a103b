"""The OpenAPI document and its two viewers, served with no network access at all.

Swagger UI and ReDoc come from the ``fastapi-offline`` package's bundled copies (the
maintained, versioned assets FastAPI's own pages load from a CDN), mounted under
``/static/docs``.  ``openapi()`` finishes the generated document with what FastAPI cannot
infer: the problem responses every operation can return (400 for a bad parameter, 401/403
and 429 from the ``Guard``, 413/422 for bodies), and whether reads need a key at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from service.api.problems import MEDIA_TYPE, TITLES

ASSETS = Path(fastapi_offline.__file__).parent / "static"
STATIC_URL = "/static/docs"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
SECURITY_SCHEMES = ("ApiKeyHeader", "BearerKey")


# the viewers may only load this origin's files: ReDoc's footer logo (cdn.redoc.ly) and any
# other stray fetch are blocked, so the pages work the same with and without a network
DOCS_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",  # the viewers' bootstrap snippets are inline
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
    )
)


def _local(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page


def install(app: FastAPI) -> None:
    app.mount(STATIC_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger(request: Request) -> HTMLResponse:
        return _local(
            get_swagger_ui_html(
                openapi_url="/openapi.json",
                title=f"{app.title}: API documentation",
                swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
                swagger_favicon_url=f"{STATIC_URL}/favicon.png",
                swagger_ui_parameters={"persistAuthorization": False, "tryItOutEnabled": True},
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        return _local(
            get_redoc_html(
                openapi_url="/openapi.json",
                title=f"{app.title}: API reference",
                redoc_js_url=f"{STATIC_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{STATIC_URL}/favicon.png",
                with_google_fonts=False,
            )
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=TAGS,
            )
            app.openapi_schema = complete(doc, app.state.settings.api.reads_need_key())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


TAGS = [
    {
        "name": "alerts",
        "description": "Alerts as they open, update and resolve; a live SSE stream.",
    },
    {
        "name": "airspaces",
        "description": "Watched FIRs: status with its evidence, boundary, traffic.",
    },
    {"name": "flights", "description": "Flights seen in the feeds and their observed tracks."},
    {"name": "routes", "description": "Watched city pairs and how their flights fare."},
    {"name": "map", "description": "What the status page draws, as GeoJSON."},
    {"name": "notams", "description": "NOTAMs as stored: raw text, parsed fields, geometry."},
    {"name": "webhooks", "description": "Signed (Standard Webhooks) subscriptions; admin only."},
    {"name": "health", "description": "Liveness, readiness and Prometheus metrics; no key needed."},
]


# parameters some routes leave undescribed get the project's one meaning for the name
PARAM_DOCS = {
    "route": "Origin-destination ICAO pair, e.g. EHAM-TNCC",
    "code": "FIR ICAO code, e.g. SVZM",
    "since": "RFC 3339 time with a time zone",
    "limit": "Page size",
    "cursor": "Opaque cursor from the previous page's `next` link",
}


def _not_null(param: dict[str, Any]) -> None:
    """An optional parameter is left out, never sent as ``null``: drop FastAPI's null branch."""
    schema = param.get("schema", {})
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if "anyOf" in schema and len(branches) == 1:
        del schema["anyOf"]
        schema.update(branches[0])
    elif "anyOf" in schema:
        schema["anyOf"] = branches


def _problem(code: int) -> dict[str, Any]:
    return {
        "description": TITLES.get(code, "Error") + " (RFC 9457 problem details)",
        "content": {MEDIA_TYPE: {"schema": PROBLEM_REF}},
    }


def complete(doc: dict[str, Any], reads_need_key: bool) -> dict[str, Any]:
    """Problem responses on every operation, one media type for them, the read policy."""
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for param in op.get("parameters", []):
                _not_null(param)
                if not param.get("description") and param["name"] in PARAM_DOCS:
                    param["description"] = PARAM_DOCS[param["name"]]
            responses = op.setdefault("responses", {})
            for code, response in list(responses.items()):
                content = response.get("content") or {}
                refs = {str(c.get("schema", {}).get("$ref", "")) for c in content.values()}
                if code[0] in "45" and any(
                    r.endswith(("/Problem", "ValidationError")) for r in refs
                ):
                    response["content"] = {MEDIA_TYPE: {"schema": PROBLEM_REF}}
            wanted: list[int] = []
            if op.get("parameters") or path.startswith("/api/"):
                wanted.append(400)
            if "requestBody" in op:
                wanted += [413, 422]
            security = op.get("security")
            if security:
                wanted += [401, 429]
                admin = method != "get" or path.startswith("/api/v1/webhooks")
                if admin:
                    wanted.append(403)
                elif not reads_need_key:
                    op["security"] = [*security, {}]  # reads are open on this bind
                else:
                    wanted.append(403)
            for code in wanted:
                responses.setdefault(str(code), _problem(code))
            if "503" not in responses and path.startswith("/api/"):
                responses["503"] = _problem(503)
    schemas = doc.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return doc
