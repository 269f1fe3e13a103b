"""Signatures verify with the standardwebhooks library; the SSRF guard refuses internal targets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from service.webhooks.signing import new_secret, signature_headers
from service.webhooks.ssrf import UnsafeTarget, check_target

BODY = json.dumps({"type": "flight.rerouted", "timestamp": "2025-11-21T18:00:00Z", "data": {}})


def test_signature_verifies_and_tampering_fails():
    secret = new_secret()
    now = datetime.now(UTC)
    headers = signature_headers("msg_1", now, BODY, [secret])
    assert Webhook(secret).verify(BODY, headers)["type"] == "flight.rerouted"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace("rerouted", "diverted"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)
    stale = signature_headers("msg_1", now - timedelta(hours=1), BODY, [secret])
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, stale)


def test_rotation_sends_both_signatures():
    old, new = new_secret(), new_secret()
    headers = signature_headers("msg_2", datetime.now(UTC), BODY, [new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(BODY, headers)
    assert Webhook(new).verify(BODY, headers)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8000/hook", "loopback"),
        ("http://10.0.0.1/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "metadata"),
        ("http://[::1]:8000/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://localhost:8000/hook", "loopback"),
        ("http://192.168.1.10/hook", "private"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://224.0.0.1/hook", "multicast"),
        ("ftp://example.com/hook", "scheme"),
        ("http://user:pw@example.com/hook", "credentials"),
    ],
)
async def test_ssrf_refusals(url, reason):
    with pytest.raises(UnsafeTarget, match=reason):
        await check_target(url)


async def test_allow_list_pins_checked_address():
    target = await check_target("http://localhost:8123/hook?x=1", allow_private=True)
    assert target.url in ("http://127.0.0.1:8123/hook?x=1", "http://[::1]:8123/hook?x=1")
    assert target.host_header == "localhost:8123"
