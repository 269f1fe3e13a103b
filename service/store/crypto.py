"""Encryption at rest for webhook signing secrets (Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from the environment: ``FIRWATCH_SECRET_KEY`` holds one or more Fernet keys
separated by commas.  The first encrypts; every one of them decrypts, so a key is rotated by
putting a new key first, re-encrypting (``firwatch db reencrypt-secrets``) and then dropping
the old key (README, "Secrets at rest").  Without the variable, a key is generated once into
``FIRWATCH_SECRET_KEY_FILE`` (default ``~/.config/firwatch/secret.key``, mode 0600: per user,
not per working directory, so every process of one user agrees) and a laptop demo works;
production sets the variable from its secret store.

Stored values look like ``fernet:<token>``; a value without the prefix is a secret written
before encryption existed and is read as it is (migration 0004 encrypts those).
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger("firwatch.store")

PREFIX = "fernet:"
ENV = "FIRWATCH_SECRET_KEY"
ENV_FILE = "FIRWATCH_SECRET_KEY_FILE"


def default_file() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "firwatch" / "secret.key"


class SecretKeyError(RuntimeError):
    """No usable key, or a stored value that none of the keys decrypts."""


def _keys_text() -> str:
    text = os.environ.get(ENV, "").strip()
    if text:
        return text
    path = Path(os.environ.get(ENV_FILE) or default_file())
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race
            pass
        except OSError as exc:
            raise SecretKeyError(
                f"set {ENV}: cannot create a key file at {path}: {exc.strerror}"
            ) from None
        else:
            with os.fdopen(fd, "w") as f:
                f.write(Fernet.generate_key().decode())
            log.warning("no %s set: generated a key in %s (set it in production)", ENV, path)
    return path.read_text().strip()


@lru_cache(maxsize=4)
def _cipher(keys_text: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.strip().encode()) for k in keys_text.split(",") if k.strip()])
    except (ValueError, TypeError):
        raise SecretKeyError(
            f"{ENV} must be comma-separated Fernet keys (32 url-safe base64 bytes)"
        ) from None


def cipher() -> MultiFernet:
    return _cipher(_keys_text())


def encrypt(plain: str) -> str:
    """``fernet:<token>`` for a secret.

    >>> before = os.environ.get(ENV)
    >>> os.environ[ENV] = Fernet.generate_key().decode()
    >>> token = encrypt("whsec_abc")
    >>> token.startswith(PREFIX) and "whsec" not in token and decrypt(token) == "whsec_abc"
    True
    >>> _ = os.environ.pop(ENV) if before is None else os.environ.update({ENV: before})
    """
    return PREFIX + cipher().encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before encryption (migration 0004 encrypts these)
    try:
        return cipher().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise SecretKeyError(
            f"a stored secret does not decrypt with any key in {ENV} (was a key dropped too early?)"
        ) from None


def reencrypt(stored: str) -> str:
    """The same secret under the first (newest) key."""
    return encrypt(decrypt(stored))


def reencrypt_webhook_secrets(session: Any) -> int:
    """Write every webhook's secrets again, so they are encrypted under the first key."""
    from sqlalchemy import select
    from sqlalchemy.orm.attributes import flag_modified

    from service.store.models import WebhookRow

    count = 0
    for row in session.scalars(select(WebhookRow)):
        flag_modified(row, "secret")  # same plaintext: the column type encrypts it again
        if row.previous_secret is not None:
            flag_modified(row, "previous_secret")
        count += 1
    session.flush()
    return count
