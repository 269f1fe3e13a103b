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
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import Headers

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


SCOPE_KEY = "firwatch.api_key"  # the authenticated key row (None: anonymous read)
SCOPE_CHECKED = "firwatch.authenticated"
LAST_USED_EVERY = timedelta(minutes=1)

api_key_header = APIKeyHeader(
    name="X-API-Key",
    scheme_name="ApiKeyHeader",
    auto_error=False,
    description="An API key (`fw_<id>_<secret>`) from `firwatch keys create`.",
)
bearer = HTTPBearer(
    scheme_name="BearerKey",
    auto_error=False,
    description="The same API key as `Authorization: Bearer fw_<id>_<secret>`.",
)


def _unauthorized(detail: str, kind: str) -> ProblemError:
    return ProblemError(
        401, detail, kind=kind, headers={"WWW-Authenticate": 'Bearer realm="firwatch"'}
    )


def _limit(limiter: RateLimiter | None, client: str) -> None:
    wait = limiter.check(client) if limiter is not None else None
    if wait is not None:
        raise ProblemError(
            429,
            f"rate limit of {limiter.per_minute} requests a minute exceeded",
            headers={"Retry-After": str(max(1, round(wait)))},
        )


def authenticate(
    sessions: sessionmaker[Session],
    headers: Headers,
    host: str | None,
    need: str | None,
    limiter: RateLimiter | None,
) -> ApiKeyRow | None:
    """The one authentication path: the presented key's row (None when anonymous and allowed).

    A wrong key is counted against the caller's address before it is refused, so guessing
    keys is rate-limited like everything else.  ``need`` is the scope the route requires
    (None: reads are open, but a key presented must still be valid).
    """
    key = presented_key(headers)
    with sessions() as session:
        row = lookup_key(session, key) if key else None
        if key and row is None:
            _limit(limiter, limiter_client(None, host))
            raise _unauthorized("the API key is unknown or revoked", "invalid-api-key")
        _limit(limiter, limiter_client(row.id if row else None, host))
        if need is None:
            return row
        if row is None:
            raise _unauthorized(
                f"this request needs an API key with the {need} scope (X-API-Key header)",
                "api-key-required",
            )
        if need not in row.scopes and "admin" not in row.scopes:
            raise ProblemError(
                403, f"the API key lacks the {need} scope", kind="insufficient-scope"
            )
        now = datetime.now(UTC)
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_EVERY:
            row.last_used_at = now
            session.commit()
        return row


def key_is_valid(session: Session, kid: str) -> bool:
    """Whether the key with this id still exists and is not revoked (open streams re-check)."""
    row = session.get(ApiKeyRow, kid)
    return row is not None and row.revoked_at is None


def is_admin(row: ApiKeyRow | None) -> bool:
    return row is not None and "admin" in row.scopes


def _checked(request: Request, need: str) -> ApiKeyRow | None:
    """The key the ``Guard`` middleware authenticated (or authenticate now, without it)."""
    if request.scope.get(SCOPE_CHECKED):
        return request.scope.get(SCOPE_KEY)
    state = request.app.state
    if need == "read" and not state.settings.api.reads_need_key():
        need = None
    host = request.client.host if request.client else None
    row = authenticate(state.sessionmaker, request.headers, host, need, state.rate_limiter)
    request.scope[SCOPE_KEY] = row
    request.scope[SCOPE_CHECKED] = True
    return row


def require_read(
    request: Request,
    _header: Annotated[str | None, Security(api_key_header)] = None,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
) -> ApiKeyRow | None:
    return _checked(request, "read")


def require_admin(
    request: Request,
    _header: Annotated[str | None, Security(api_key_header)] = None,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
) -> ApiKeyRow | None:
    return _checked(request, "admin")


ReadAccess = Annotated[ApiKeyRow | None, Depends(require_read)]
AdminAccess = Annotated[ApiKeyRow | None, Depends(require_admin)]
