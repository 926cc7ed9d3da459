"""API keys: format and hashing; the client's address, and what is remembered of the
throttle of failed attempts (kept in the database).

A key is ``la_`` followed by 43 characters of URL-safe base64 (32 random bytes). The database
stores only its SHA-256 and finds the user by that hash (a unique index); every request looks
it up again, so a revoked key is refused on the next request by every worker. Nothing compares
a presented key byte by byte: the lookup compares SHA-256 digests, whose timing tells an
attacker nothing about any key (a near miss of the key is not a near miss of its hash).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import re
import secrets
import time
from dataclasses import dataclass, field

KEY_PREFIX = "la_"
_KEY = re.compile(r"^la_[A-Za-z0-9_-]{43}$")
_HEADER = re.compile(r"^[Kk]ey=(\S+)$")


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode("ascii")).digest()


def key_from_header(value: str | None) -> str | None:
    """``Authorization: Key=<key>`` → the key, when the header is well formed."""
    if not value:
        return None
    match = _HEADER.match(value.strip())
    if not match or not _KEY.match(match.group(1)):
        return None
    return match.group(1)


@dataclass
class BlockedClients:
    """What the database said about blocked addresses, remembered until the block ends.

    The count of failures is kept in the database (``lead_archive_authenticate``), shared by
    every worker and host; once it has answered that an address is blocked, the refusals that
    follow are answered from here without a database round trip."""

    limit: int = 100_000
    _until: dict[str, float] = field(default_factory=dict)

    def retry_after(self, client: str, now: float | None = None) -> int | None:
        """Seconds the client must still wait, or None when the database is to be asked."""
        until = self._until.get(client)
        if until is None:
            return None
        now = time.monotonic() if now is None else now
        if until <= now:
            del self._until[client]
            return None
        return max(1, math.ceil(until - now))

    def block(self, client: str, seconds: float, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._until.pop(client, None)
        self._until[client] = now + seconds
        if len(self._until) > self.limit:  # bounded memory under a spray of addresses
            self._until.pop(next(iter(self._until)))


# -- the client's address ---------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
TrustedProxies = tuple[Network, ...]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 7230 token
_VALUE = re.compile(r'"(?:[^"\\]|\\.)*"|[!#$%&\'*+.^_`|~0-9A-Za-z:\[\]-]*')


def client_address(
    peer: str | None,
    x_forwarded_for: list[str],
    forwarded: list[str],
    trusted: TrustedProxies,
) -> str:
    """The address a request is counted against.

    The peer (the TCP connection's other end) is the client, unless it is one of ``trusted``
    (``LEAD_ARCHIVE_TRUSTED_PROXIES``): then the forwarding header it sent is read from the
    right, through any further trusted proxies, to the first address that is not one. A proxy
    appends the address it saw; everything left of that was written by the client and is
    never believed. ``X-Forwarded-For`` is read when present, else RFC 7239 ``Forwarded``
    (``for=``): a proxy that writes only ``Forwarded`` must drop an incoming
    ``X-Forwarded-For`` (docs/deployment.md)."""
    if not peer:
        return "unknown"
    address = parse_address(peer)
    if (
        address is None
    ):  # not an IP peer (a unix socket, say): printable ASCII, as the database keeps it
        return re.sub(r"[^!-~]", "?", peer)[:64]
    if not trusted or not _is_trusted(address, trusted):
        return _text(address)
    if x_forwarded_for:
        hops = [hop.strip() for line in x_forwarded_for for hop in line.split(",")]
    elif forwarded:
        hops = forwarded_for(forwarded)
    else:
        return _text(address)
    for hop in reversed(hops):
        found = parse_address(hop)
        if found is None:  # "unknown", "_hidden", garbage: the proxy that wrote it is the client
            return _text(address)
        address = found
        if not _is_trusted(address, trusted):
            return _text(address)
    return _text(address)  # every hop a trusted proxy: the left-most one


def forwarded_for(values: list[str]) -> list[str]:
    """The ``for=`` node of every element of RFC 7239 ``Forwarded`` headers, in order. An
    element without one, or that does not parse, gives an empty node: it stops the walk from
    the right only where it stands, so a client's malformed element left of its proxy's does
    not hide the proxy's."""
    nodes: list[str] = []
    for value in values:
        for element in _split_outside_quotes(value, ","):
            node: str | None = ""
            for pair in _split_outside_quotes(element, ";"):
                name, equals, raw = pair.partition("=")
                name, raw = name.strip(), raw.strip()
                if not equals or not _TOKEN.fullmatch(name) or not _VALUE.fullmatch(raw):
                    node = None
                    break
                if name.lower() == "for":
                    node = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw[:1] == '"' else raw
            nodes.append(node or "")
    return nodes


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """Split where ``separator`` stands outside a quoted string, reading from the right: the
    elements a proxy appended come out whole even when the client's part left of them holds
    an unbalanced quote. One pass, linear in the length of the header."""
    parts: list[str] = []
    end = len(text)
    quoted = False
    for i in range(len(text) - 1, -1, -1):
        char = text[i]
        if char == '"' and not (quoted and i > 0 and text[i - 1] == "\\"):
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append(text[i + 1 : end])
            end = i
    parts.append(text[:end])
    return parts[::-1]


def parse_address(text: str) -> Address | None:
    """``192.0.2.1``, ``192.0.2.1:4711``, ``[2001:db8::1]:4711``, ``2001:db8::1`` → the
    address (an IPv4-mapped IPv6 address as IPv4); anything else → None."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _text(address: Address) -> str:
    """At most 64 characters (an IPv6 zone name could make it longer), as the database keeps
    it."""
    return str(address)[:64]


def _is_trusted(address: Address, trusted: TrustedProxies) -> bool:
    return any(address.version == network.version and address in network for network in trusted)
