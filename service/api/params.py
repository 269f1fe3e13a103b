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
# Free text (search terms, callsigns, ids): anything but NUL, which PostgreSQL text cannot hold
# and the API refuses everywhere (a 400): declared, so that is the schema's rule too.
TEXT = r"^[^\x00]*$"
NON_EMPTY_TEXT = r"^[^\x00]+$"
# The schema's ``pattern`` and the server's check are this one expression, so a value is
# schema-valid exactly when the server takes it.  Years 0002-9998: with any offset up to
# ±23:59 the instant stays within years 1-9999 in UTC (0001-01-01T00:00:00+14:00 does not).
# ASCII digits only (``\d`` would take any Unicode digit), upper-case ``T`` and ``Z``, at most
# microseconds (what is stored).  The calendar (no 30 February) is the ``date-time`` format's.
_YEAR = "(000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
_CLOCK = "([01][0-9]|2[0-3]):[0-5][0-9]"
TIME_PATTERN = (
    f"^{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T{_CLOCK}:[0-5][0-9]"
    f"(\\.[0-9]{{1,6}})?(Z|[+-]{_CLOCK})$"
)
RFC3339 = re.compile(TIME_PATTERN.replace("$", r"\Z"))


def utc_time(value: Any) -> datetime:
    """An RFC 3339 timestamp as an aware UTC datetime, or ValueError.

    >>> utc_time("2025-11-21T18:00:00+01:00").isoformat()
    '2025-11-21T17:00:00+00:00'
    >>> utc_time("0001-01-01T00:00:00+14:00")
    Traceback (most recent call last):
    ...
    ValueError: '0001-01-01T00:00:00+14:00' is not an RFC 3339 time with a zone, years 0002-9998
    >>> utc_time("0.5")
    Traceback (most recent call last):
    ...
    ValueError: '0.5' is not an RFC 3339 time with a zone, years 0002-9998
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("needs a time zone")
        return value.astimezone(UTC)
    text = str(value)
    if not RFC3339.match(text):
        raise ValueError(f"{text[:40]!r} is not an RFC 3339 time with a zone, years 0002-9998")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text[:40]} is not a valid date and time") from None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text[:40]} is outside years 1-9999 in UTC") from None


UtcTime = Annotated[
    datetime,
    BeforeValidator(utc_time),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": TIME_PATTERN}),
]
_TIME_DOC = " RFC 3339 with a time zone (`Z` or an offset), years 0002–9998, at most microseconds."


def TimeQuery(description: str) -> Any:
    """A query parameter holding an RFC 3339 time."""
    return Query(description=description + _TIME_DOC, examples=["2025-11-21T18:00:00Z"])


def IdPath(description: str) -> Any:
    """A path parameter holding a database id (a positive 64-bit integer)."""
    return Path(description=description, ge=1, le=INT64_MAX, examples=[42])
