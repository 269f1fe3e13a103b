"""Keyset pagination: a cursor is the sort key of the last item, never an offset.

Offsets shift when rows arrive between two page requests (alerts arrive all the
time); a keyset cursor does not.  A cursor is opaque to clients but decodes to one
exact JSON shape per list, checked here, so a forged or mangled one is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Request
from pydantic import Field, TypeAdapter, ValidationError

from service.api.params import INT64_MAX, utc_time
from service.api.problems import ProblemError

_Key = Annotated[str, Field(strict=True, max_length=200)]
AlertCursor = TypeAdapter(Annotated[int, Field(strict=True, ge=0, le=INT64_MAX)])
TimeIdCursor = TypeAdapter(tuple[_Key, _Key])
NotamCursor = TypeAdapter(_Key)

CURSOR_DOC = "Opaque cursor from the previous page's `next` link."


def _invalid() -> ProblemError:
    return ProblemError(400, "the cursor is not one this list issued", kind="invalid-cursor")


def encode_cursor(value: Any) -> str:
    """Opaque cursor for a sort key.

    >>> decode_cursor(encode_cursor(3), AlertCursor)
    3
    """
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, shape: TypeAdapter) -> Any:
    """The sort key in ``cursor``, checked against the list's ``shape``, or a 400 problem.

    >>> decode_cursor(encode_cursor("x"), AlertCursor)
    Traceback (most recent call last):
    ...
    service.api.problems.ProblemError: the cursor is not one this list issued
    >>> decode_cursor(encode_cursor(2**63), AlertCursor)
    Traceback (most recent call last):
    ...
    service.api.problems.ProblemError: the cursor is not one this list issued
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return shape.validate_python(value)
    except (ValueError, ValidationError, binascii.Error, RecursionError):
        raise _invalid() from None


def decode_time_cursor(cursor: str) -> tuple[datetime, str]:
    """A ``[time, id]`` cursor (flights, webhook deliveries)."""
    at, last_id = decode_cursor(cursor, TimeIdCursor)
    try:
        return utc_time(at), last_id
    except ValueError:
        raise _invalid() from None


def next_link(request: Request, cursor_value: Any) -> str:
    """This request's URL with ``cursor`` replaced, every parameter URL-encoded.

    >>> from starlette.requests import Request
    >>> r = Request({"type": "http", "path": "/a", "query_string": b"q=x%26limit%3D1&limit=2",
    ...              "headers": []})
    >>> next_link(r, 5)
    '/a?q=x%26limit%3D1&limit=2&cursor=NQ'
    """
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    params.append(("cursor", encode_cursor(cursor_value)))
    return f"{request.url.path}?{urlencode(params)}"
