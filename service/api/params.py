"""The one parameter type for times and ids: bounded, so bad input is a 400, not a 500.

A time is an RFC 3339 string with an offset (no epoch numbers, no naive times) that still
names a representable UTC instant (``0001-01-01T00:00:00+14:00`` does not).  An id is a
positive integer that fits the database's 64-bit columns.  Cursors (``pagination``) decode
to these same types.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BeforeValidator
from pydantic.json_schema import WithJsonSchema

INT64_MAX = 2**63 - 1
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def utc_time(value: Any) -> datetime:
    """An RFC 3339 timestamp as an aware UTC datetime, or ValueError.

    >>> utc_time("2025-11-21T18:00:00+01:00").isoformat()
    '2025-11-21T17:00:00+00:00'
    >>> utc_time("0001-01-01T00:00:00+14:00")
    Traceback (most recent call last):
    ...
    ValueError: 0001-01-01T00:00:00+14:00 is outside years 1-9999 in UTC
    >>> utc_time("0.5")
    Traceback (most recent call last):
    ...
    ValueError: '0.5' is not an RFC 3339 timestamp with a time zone, e.g. 2025-11-21T00:00:00Z
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("needs a time zone")
        return value.astimezone(UTC)
    text = str(value)
    if not RFC3339.match(text):
        raise ValueError(
            f"{text[:40]!r} is not an RFC 3339 timestamp with a time zone, e.g. 2025-11-21T00:00:00Z"
        )
    try:
        parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text[:40]} is not a valid date and time") from None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text[:40]} is outside years 1-9999 in UTC") from None


UtcTime = Annotated[
    datetime,
    BeforeValidator(utc_time),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
_TIME_DOC = " RFC 3339 with a time zone (`Z` or an offset), years 1–9999 once in UTC."


def TimeQuery(description: str) -> Any:
    """A query parameter holding an RFC 3339 time."""
    return Query(description=description + _TIME_DOC, examples=["2025-11-21T18:00:00Z"])


def IdPath(description: str) -> Any:
    """A path parameter holding a database id (a positive 64-bit integer)."""
    return Path(description=description, ge=1, le=INT64_MAX, examples=[42])
