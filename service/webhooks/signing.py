"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Signing uses the ``standardwebhooks`` reference library so that receivers using
any Standard Webhooks implementation verify our messages.  During a secret
rotation both the new and the previous secret sign, space-separated, as the
specification allows, so receivers can switch secrets without losing messages.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook


def new_secret() -> str:
    """A ``whsec_`` secret: 32 random bytes, base64.

    >>> new_secret().startswith("whsec_")
    True
    """
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: datetime, body: str) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``."""
    return Webhook(secret).sign(msg_id, timestamp, body)


def signature_headers(
    msg_id: str, timestamp: datetime, body: str, secrets_: list[str]
) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets_),
        "content-type": "application/json",
        "user-agent": "firwatch-webhooks/0.1",
    }
