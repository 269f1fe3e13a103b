"""API keys and per-key rate limiting.

Keys look like ``fw_<id>_<secret>``; only a SHA-256 of the whole key is stored,
so a database leak does not leak working keys.  The ``id`` part finds the row
without a scan.  Reads may be open (see ``api.read_auth``); anything that
changes state needs the ``admin`` scope.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import Headers

from service.api.deps import SessionDep
from service.api.problems import ProblemError
from service.store.models import ApiKeyRow

SCOPES = ("read", "admin")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, name: str, scopes: list[str]) -> tuple[ApiKeyRow, str]:
    """Create a key; returns the row and the plaintext key (shown once, never stored)."""
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise ValueError(
            f"scopes must be among {', '.join(SCOPES)}, got {', '.join(scopes) or 'none'}"
        )
    key_id = secrets.token_hex(6)
    key = f"fw_{key_id}_{secrets.token_urlsafe(24)}"
    row = ApiKeyRow(
        id=key_id,
        name=name,
        key_hash=hash_key(key),
        scopes=sorted(set(scopes)),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row, key


def presented_key(headers: Headers) -> str | None:
    """The API key from ``X-API-Key`` or ``Authorization: Bearer``."""
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


def key_id(key: str) -> str | None:
    """The public id part of a ``fw_<id>_<secret>`` key (not proof that the key is valid)."""
    parts = key.split("_")
    return parts[1] if len(parts) >= 3 and parts[0] == "fw" else None


def limiter_client(kid: str | None, host: str | None) -> str:
    """The rate limiter's bucket: per API key when one is presented, else per address."""
    return f"key:{kid}" if kid else f"ip:{host or '-'}"


def lookup_key(session: Session, key: str) -> ApiKeyRow | None:
    kid = key_id(key)
    if kid is None:
        return None
    row = session.get(ApiKeyRow, kid)
    if row is None or row.revoked_at is not None:
        return None
    return row if hmac.compare_digest(row.key_hash, hash_key(key)) else None


class RateLimiter:
    """Token bucket per client: ``per_minute`` requests a minute, bursts up to the same number."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> float | None:
        """None when allowed, else seconds until the next request would be."""
        if self.per_minute <= 0:
            return None
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                return None
            self._buckets[client] = (tokens, now)
            return (1.0 - tokens) / rate


def _authorize(request: Request, session: Session, scope: str | None) -> ApiKeyRow | None:
    key = presented_key(request.headers)
    row = lookup_key(session, key) if key else None
    if key and row is None:
        raise ProblemError(
            401, "the API key is unknown or revoked", kind="invalid-api-key",
            headers={"WWW-Authenticate": 'Bearer realm="firwatch"'},
        )  # fmt: skip
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is not None:
        host = request.client.host if request.client else None
        wait = limiter.check(limiter_client(row.id if row else None, host))
        if wait is not None:
            raise ProblemError(
                429, f"rate limit of {limiter.per_minute} requests a minute exceeded",
                headers={"Retry-After": str(max(1, round(wait)))},
            )  # fmt: skip
    if scope is None:
        return row
    if row is None:
        raise ProblemError(
            401, f"this request needs an API key with the {scope} scope (X-API-Key header)",
            kind="api-key-required", headers={"WWW-Authenticate": 'Bearer realm="firwatch"'},
        )  # fmt: skip
    if scope not in row.scopes and "admin" not in row.scopes:
        raise ProblemError(403, f"the API key lacks the {scope} scope", kind="insufficient-scope")
    row.last_used_at = datetime.now(UTC)
    session.commit()
    return row


def require_read(request: Request, session: SessionDep) -> ApiKeyRow | None:
    settings = request.app.state.settings
    return _authorize(request, session, "read" if settings.api.reads_need_key() else None)


def require_admin(request: Request, session: SessionDep) -> ApiKeyRow | None:
    return _authorize(request, session, "admin")


ReadAccess = Annotated[ApiKeyRow | None, Depends(require_read)]
AdminAccess = Annotated[ApiKeyRow | None, Depends(require_admin)]
