"""SSRF guard for webhook targets.

A subscriber chooses the URL, so a careless or hostile one could make the
service call its own admin ports or a cloud metadata endpoint.  The host is
resolved at send time, every address it resolves to is checked, and the request
then goes to the checked address (Host header and TLS SNI keep the name), so a
DNS answer cannot change between check and use.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}


class UnsafeTarget(ValueError):
    """The webhook URL points somewhere the service must not call."""


@dataclass(frozen=True, slots=True)
class CheckedTarget:
    url: str  # with the host replaced by the checked address
    host_header: str
    sni_hostname: str | None


def refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is refused, or None when it is a public unicast address.

    >>> refusal(ipaddress.ip_address("127.0.0.1"))
    'loopback address 127.0.0.1'
    >>> refusal(ipaddress.ip_address("::ffff:10.0.0.1"))
    'private address 10.0.0.1'
    >>> refusal(ipaddress.ip_address("93.184.215.14")) is None
    True
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return f"cloud metadata address {address}"
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-global", not address.is_global),
    )
    for name, hit in checks:
        if hit:
            return f"{name} address {address}"
    return None


async def resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeTarget(f"cannot resolve {host}: {exc.strerror}") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


async def check_target(url: str, *, allow_private: bool = False) -> CheckedTarget:
    """Validate ``url`` and pin it to a checked address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget(f"scheme {parts.scheme or '(none)'!r} is not http or https")
    if not parts.hostname:
        raise UnsafeTarget("URL has no host")
    if parts.username or parts.password:
        raise UnsafeTarget("credentials in the URL are not allowed")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await resolve(parts.hostname, port)
    if not addresses:
        raise UnsafeTarget(f"{parts.hostname} resolves to no address")
    if not allow_private:
        for text in addresses:
            reason = refusal(ipaddress.ip_address(text.split("%")[0]))
            if reason:
                raise UnsafeTarget(f"{parts.hostname} resolves to a {reason}")
    chosen = addresses[0]
    netloc_host = f"[{chosen}]" if ":" in chosen else chosen
    host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    pinned = urlunsplit((parts.scheme, f"{netloc_host}:{port}", parts.path or "/", parts.query, ""))
    return CheckedTarget(
        url=pinned,
        host_header=host_header,
        sni_hostname=parts.hostname if parts.scheme == "https" else None,
    )
