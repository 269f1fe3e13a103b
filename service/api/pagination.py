"""Keyset pagination: a cursor is the sort key of the last item, never an offset.

Offsets shift when rows arrive between two page requests (alerts arrive all the
time); a keyset cursor does not.  A cursor is opaque to clients, but each list declares its
cursor's exact syntax as a ``pattern`` in the OpenAPI document, and every string that matches
it is a *position* in that list: the page starts after it, so a hand-made cursor gives a
(maybe empty) page, never an error, and anything that does not match is a 400.  That keeps the
contract exact: a schema-valid request is always answered with a page.

* alerts (newest first): the last id, decimal (``^[0-9]{1,19}$``);
* NOTAMs (by id): the last id, base64url of its UTF-8 bytes;
* flights, webhook deliveries (newest first): ``<microseconds since 1970>.<base64url id>``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Query, Request

from service.api.params import INT64_MAX

# base64url without padding: groups of four, then a last group of two or three (never one)
_B64 = "([A-Za-z0-9_-]{4}){0,64}([A-Za-z0-9_-]{2,3})?"
ID_CURSOR = f"^{_B64}$"
ALERT_CURSOR = "^[0-9]{1,19}$"
TIME_ID_CURSOR = f"^[0-9]{{1,16}}\\.{_B64}$"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CURSOR_DOC = (
    "Opaque cursor from the previous page's `next` link (any string matching the pattern is a "
    "position in this list; the page starts after it)."
)


EXAMPLES = {
    ALERT_CURSOR: "42",
    ID_CURSOR: "QTAwMTIvMjU",
    TIME_ID_CURSOR: "1763748000000000.NDg0YjJhLTIwMjUxMTIxVDE4MDAwMFo",
}


def CursorQuery(pattern: str) -> Any:
    """The ``cursor`` query parameter of a list, with that list's cursor syntax."""
    return Query(
        pattern=pattern, max_length=400, description=CURSOR_DOC, examples=[EXAMPLES[pattern]]
    )


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(part: str) -> str:
    """The id in a base64url part.  Issued cursors round-trip exactly; a hand-made one may
    hold bytes no id has (not UTF-8, NUL, which PostgreSQL text cannot hold): they are
    replaced, which keeps it a position in the list."""
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (ValueError, binascii.Error):  # the pattern rules this out; kept as a guard
        raw = b""
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def alert_cursor(alert_id: int) -> str:
    """
    >>> alert_cursor(42), decode_alert_cursor("42")
    ('42', 42)
    """
    return str(alert_id)


def decode_alert_cursor(cursor: str) -> int:
    """The id the next page starts below (clamped to the 64-bit ids the database holds)."""
    return min(int(cursor), INT64_MAX)


def id_cursor(item_id: str) -> str:
    """
    >>> id_cursor("A0012/25"), decode_id_cursor(id_cursor("A0012/25"))
    ('QTAwMTIvMjU', 'A0012/25')
    """
    return _b64(item_id)


def decode_id_cursor(cursor: str) -> str:
    return _unb64(cursor)


def time_id_cursor(at: datetime, item_id: str) -> str:
    """
    >>> c = time_id_cursor(datetime(2025, 11, 21, 18, 0, 0, 5, tzinfo=UTC), "msg_1")
    >>> c, decode_time_id_cursor(c)[0].isoformat()
    ('1763748000000005.bXNnXzE', '2025-11-21T18:00:00.000005+00:00')
    """
    micros = (at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{_b64(item_id)}"


def decode_time_id_cursor(cursor: str) -> tuple[datetime, str]:
    """(time, id) of the last item: the next page starts after it."""
    micros, _, part = cursor.partition(".")
    return EPOCH + timedelta(microseconds=int(micros)), _unb64(part)


def next_link(request: Request, cursor: str) -> str:
    """This request's URL with ``cursor`` replaced, every parameter URL-encoded.

    >>> from starlette.requests import Request
    >>> r = Request({"type": "http", "path": "/a", "query_string": b"q=x%26limit%3D1&limit=2",
    ...              "headers": []})
    >>> next_link(r, "5")
    '/a?q=x%26limit%3D1&limit=2&cursor=5'
    """
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    params.append(("cursor", cursor))
    return f"{request.url.path}?{urlencode(params)}"
