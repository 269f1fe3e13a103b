"""Keyset pagination: a cursor is the sort key of the last item, never an offset.

Offsets shift when rows arrive between two page requests (alerts arrive all the
time); a keyset cursor does not.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import Request

from service.api.problems import ProblemError


def encode_cursor(value: Any) -> str:
    """Opaque cursor for a sort key.

    >>> decode_cursor(encode_cursor([3, "x"]))
    [3, 'x']
    """
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, json.JSONDecodeError):
        raise ProblemError(400, f"cursor {cursor!r} is not valid", kind="invalid-cursor") from None


def next_link(request: Request, cursor_value: Any) -> str:
    params = dict(request.query_params)
    params["cursor"] = encode_cursor(cursor_value)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{request.url.path}?{query}"
