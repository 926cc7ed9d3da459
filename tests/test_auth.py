"""API keys and throttling, without a server."""

from __future__ import annotations

import hashlib

from gateway import auth


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


def test_throttle_opens_after_the_window() -> None:
    throttle = auth.Throttle(limit=3, window=60)
    for t in (0, 1, 2):
        assert throttle.retry_after("10.0.0.9", now=t) is None
        throttle.failed("10.0.0.9", now=t)
    assert throttle.retry_after("10.0.0.9", now=3) == 57
    assert throttle.retry_after("10.0.0.8", now=3) is None
    assert throttle.retry_after("10.0.0.9", now=60.5) is None


def test_success_clears_the_failures() -> None:
    throttle = auth.Throttle(limit=2, window=60)
    throttle.failed("a", now=0)
    throttle.succeeded("a")
    throttle.failed("a", now=1)
    assert throttle.retry_after("a", now=2) is None
