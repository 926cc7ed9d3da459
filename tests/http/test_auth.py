"""API keys, the client's address and the remembered blocks, without a server."""

from __future__ import annotations

import hashlib
import ipaddress

import pytest

from gateway.http import auth


def test_new_keys_are_long_prefixed_and_distinct() -> None:
    keys = {auth.new_key() for _ in range(100)}
    assert len(keys) == 100
    for key in keys:
        assert key.startswith("la_") and len(key) == 46  # 32 random bytes, base64url
        assert auth.key_from_header(f"Key={key}") == key


def test_only_the_sha256_leaves() -> None:
    key = auth.new_key()
    assert auth.key_hash(key) == hashlib.sha256(key.encode()).digest()


def test_header_forms() -> None:
    key = auth.new_key()
    assert auth.key_from_header(f"key={key}") == key
    assert auth.key_from_header(f"  Key={key}  ") == key
    for bad in (None, "", key, f"Bearer {key}", f"Key={key}x", f"Key={key[:-1]}", "Key=la_a b"):
        assert auth.key_from_header(bad) is None


def test_a_block_is_remembered_until_it_ends() -> None:
    blocked = auth.BlockedClients()
    assert blocked.retry_after("10.0.0.9", now=0) is None
    blocked.block("10.0.0.9", 57, now=3)
    assert blocked.retry_after("10.0.0.9", now=3) == 57
    assert blocked.retry_after("10.0.0.9", now=59.5) == 1
    assert blocked.retry_after("10.0.0.8", now=3) is None
    assert blocked.retry_after("10.0.0.9", now=60.5) is None


def test_remembered_blocks_are_bounded() -> None:
    blocked = auth.BlockedClients(limit=3)
    for i in range(5):
        blocked.block(f"10.0.0.{i}", 60, now=0)
    assert [blocked.retry_after(f"10.0.0.{i}", now=1) is not None for i in range(5)] == [
        False,
        False,
        True,
        True,
        True,
    ]


PROXY = (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("2001:db8::/64"))


@pytest.mark.parametrize(
    ("peer", "xff", "forwarded", "trusted", "client"),
    [
        # no trusted proxy (the default): the peer, whatever the headers say
        ("127.0.0.1", ["203.0.113.7"], ["for=203.0.113.8"], (), "127.0.0.1"),
        # an untrusted peer's headers are not read either
        ("198.51.100.1", ["203.0.113.7"], [], PROXY, "198.51.100.1"),
        # a trusted proxy: the address it appended, not what the client wrote before it
        ("10.0.0.5", ["203.0.113.66, 198.51.100.2"], [], PROXY, "198.51.100.2"),
        ("10.0.0.5", ["203.0.113.66", "198.51.100.2"], [], PROXY, "198.51.100.2"),
        # through two trusted proxies
        ("10.0.0.5", ["203.0.113.66, 198.51.100.2, 10.0.0.7"], [], PROXY, "198.51.100.2"),
        # every hop trusted: the left-most one
        ("10.0.0.5", ["10.0.0.9, 10.0.0.7"], [], PROXY, "10.0.0.9"),
        # a trusted proxy that sent no header is the client
        ("10.0.0.5", [], [], PROXY, "10.0.0.5"),
        # RFC 7239, quoted IPv6 with a port, ports on IPv4, IPv4-mapped addresses
        (
            "10.0.0.5",
            [],
            ['for="_gazonk", For="[2001:db8:cafe::17]:4711"'],
            PROXY,
            "2001:db8:cafe::17",
        ),
        ("10.0.0.5", [], ["for=192.0.2.60;proto=http;by=10.0.0.5"], PROXY, "192.0.2.60"),
        ("10.0.0.5", ["192.0.2.61:5555"], [], PROXY, "192.0.2.61"),
        ("::ffff:10.0.0.5", ["::ffff:192.0.2.62"], [], PROXY, "192.0.2.62"),
        ("2001:db8::1", ["192.0.2.63"], [], PROXY, "192.0.2.63"),
        # X-Forwarded-For wins over Forwarded
        ("10.0.0.5", ["192.0.2.64"], ["for=192.0.2.65"], PROXY, "192.0.2.64"),
        # the client's garbage left of its proxy's element does not hide the proxy's
        ("10.0.0.5", [], ['for="unbalanced, for=192.0.2.66'], PROXY, "192.0.2.66"),
        ("10.0.0.5", ["not an address, 192.0.2.67"], [], PROXY, "192.0.2.67"),
        # a trusted proxy that says "unknown" is the client itself
        ("10.0.0.5", [], ["for=unknown"], PROXY, "10.0.0.5"),
        (None, ["192.0.2.68"], [], PROXY, "unknown"),
    ],
)
def test_regression_forwarded_headers_are_believed_only_from_trusted_proxies(
    peer: str | None,
    xff: list[str],
    forwarded: list[str],
    trusted: auth.TrustedProxies,
    client: str,
) -> None:
    assert auth.client_address(peer, xff, forwarded, trusted) == client
