"""The status page at ``/``: map, airspace status with its source, live alerts, routes, traffic.

One page (no CDN, no map tiles: it works offline) that reads the public API, so what a person
sees is exactly what API clients get.  Its markup, style and script are files in
``service/api/static/`` (no inline script or style, so the Content-Security-Policy allows
only same-origin scripts, styles and requests), served from here with the types a browser
expects.  When reads need a key the page asks for one once and keeps it in
``sessionStorage``; alerts arrive over ``/api/v1/alerts/stream`` read with fetch (which,
unlike EventSource, can send the key).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from service.api.problems import ProblemError

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).resolve().parent.parent / "static"
ASSETS = {
    "status.js": "text/javascript; charset=utf-8",
    "status.css": "text/css; charset=utf-8",
}


CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "Cache-Control": "no-cache"}


@router.get("/")
def status_page() -> FileResponse:
    return FileResponse(
        STATIC / "status.html", media_type="text/html; charset=utf-8", headers=HEADERS
    )


@router.get("/static/{name}")
def status_asset(name: str) -> FileResponse:
    """Only the page's own files: a name not listed is a 404, never a path into the disk."""
    if name not in ASSETS:
        raise ProblemError(404, f"no static file {name}")
    return FileResponse(STATIC / name, media_type=ASSETS[name])
