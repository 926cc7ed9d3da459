"""API keys: format, hashing, constant-time comparison, and throttling of failed attempts.

A key is ``la_`` followed by 43 characters of URL-safe base64 (32 random bytes). The database
stores only its SHA-256; every request looks the hash up again, so a revoked key is refused on
the next request by every worker.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import deque
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


def same_hash(stored: bytes, presented: bytes) -> bool:
    return hmac.compare_digest(stored, presented)


@dataclass
class Throttle:
    """At most ``limit`` failed attempts per client address in ``window`` seconds; past that
    the address is refused until its oldest failure leaves the window. Per process."""

    limit: int = 10
    window: float = 60.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def retry_after(self, client: str, now: float | None = None) -> int | None:
        """Seconds the client must wait, or None when it may try."""
        now = time.monotonic() if now is None else now
        failures = self._failures.get(client)
        if not failures:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return None
        if len(failures) < self.limit:
            return None
        return max(1, int(failures[0] + self.window - now + 0.999))

    def failed(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._failures.setdefault(client, deque(maxlen=self.limit)).append(now)
        if len(self._failures) > 100_000:  # bounded memory under a spray of addresses
            self._failures.pop(next(iter(self._failures)))

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)
