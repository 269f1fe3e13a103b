"""Logging: plain text for a terminal, JSON lines for machines, both with request ids.

The request id comes from the caller's ``X-Request-ID`` (or is made up) and is
kept in a context variable, so every log line written while serving a request
carries it without passing it around.

Every line, and every one-line CLI error, goes through :func:`redact` last: a
database password in a URL, an API key or a webhook signing secret can reach a
message by many paths (an exception's text, SQLAlchemy's ``[parameters: ...]``,
a PostgreSQL ``Failing row contains`` detail), so they are masked where lines
are written rather than at each place that might produce one.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

MASK = "***"
_PATTERNS = (
    # scheme://user:password@host  (database URLs, webhook URLs with credentials)
    (re.compile(r"(?P<keep>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s'\"]*:)[^@\s'\"]+(?=@)"), MASK),
    # libpq keyword form: password=secret
    (re.compile(r"(?P<keep>\bpassword\s*=\s*)('[^']*'|\"[^\"]*\"|[^\s,;)]+)", re.I), MASK),
    # API keys fw_<id>_<secret>: the id stays (it names the key), the secret goes
    (re.compile(r"(?P<keep>\bfw_[0-9a-f]{12}_)[A-Za-z0-9_\-]+"), MASK),
    # Standard Webhooks signing secrets
    (re.compile(r"(?P<keep>\bwhsec_)[A-Za-z0-9+/=]+"), MASK),
    # a Failing row's values may hold anything the row had (descriptions, URLs, ciphertext)
    (re.compile(r"(?P<keep>Failing row contains )\(.*?\)(?=\.|$)", re.M), "(" + MASK + ")"),
)


def redact(text: str) -> str:
    """``text`` with passwords, API keys and webhook secrets masked.

    >>> redact("database postgresql+psycopg://postgres:hunter2@db:5432/x: refused")
    'database postgresql+psycopg://postgres:***@db:5432/x: refused'
    >>> redact("key fw_0a1b2c3d4e5f_Zm9vYmFy-_x secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw==")
    'key fw_0a1b2c3d4e5f_*** secret whsec_***'
    >>> redact("host=db password='p w' user=x")
    'host=db password=*** user=x'
    >>> redact('DETAIL:  Failing row contains (wh_1, https://a.example, gAAAA).')
    'DETAIL:  Failing row contains (***).'
    """
    for pattern, mask in _PATTERNS:
        text = pattern.sub(lambda m, mask=mask: m.group("keep") + mask, text)
    return text


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class RedactingFormatter(logging.Formatter):
    """Formats with ``inner``, then masks secrets in the whole line (tracebacks included)."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, error."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            out["request_id"] = rid
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        return json.dumps(out)


def setup_logging(level: str, fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(RedactingFormatter(JsonFormatter()))
    else:
        handler.setFormatter(
            RedactingFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "apscheduler", "uvicorn.access", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
