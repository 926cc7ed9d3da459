"""How a bulk run stays gentle on a live dialer: batch size, pauses and pace.

- :class:`BatchSizer` (``--max-lock-ms``): adapts the batch size (1..500) so that no batch's
  longest hold on ``vicidial_list`` goes past the bound, as pt-online-schema-change's
  ``--chunk-time`` adapts its chunks (which aims at an average instead). It learns from what
  each call reports (the procedures' own measure, or the call's duration, an upper bound, when
  none is reported).
- :class:`Gate` (``--max-load``, ``--replica-url`` with ``--max-lag``): before each batch, waits
  while the server is busier than allowed or a replica lags, saying why.
- :class:`Pace` (``--max-rate``): at most so many leads per second over the whole run.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gateway.contract import MAX_LEADS
from gateway.db.monitor import Monitor
from gateway.dburl import DatabaseURL
from gateway.errors import ConfigError

MAX_BATCH = MAX_LEADS
REMEMBERED = 8  # batches whose cost per lead --max-lock-ms sizes from
CHECK_EVERY = 1.0  # seconds between two looks at the server while paused (and at most once
# a second while running)


class BatchSizer:
    """``--max-lock-ms N`` as a bound, not an average: each batch is sized from the costliest
    lead (hold per lead) of the last few batches, so that a batch like the worst of them still
    holds ``vicidial_list`` for N ms at most. A batch that held too long shrinks the next one at
    once; growth is slow (half way, at most doubling), so one quick batch does not swing it."""

    def __init__(self, size: int, max_lock_ms: float | None) -> None:
        self.max_lock_ms = max_lock_ms
        # with a target, start small and grow: the first batch must not be the long one
        self.size = size if max_lock_ms is None else min(size, 50)
        self.ceiling = size
        self.costs: deque[float] = deque(maxlen=REMEMBERED)  # ms per lead, newest last

    def observe(self, count: int, lock_ms: float | None) -> None:
        if self.max_lock_ms is None or lock_ms is None or count == 0:
            return
        self.costs.append(max(lock_ms, 0.01) / count)
        wanted = self.max_lock_ms / max(self.costs)
        size = wanted if wanted < self.size else min(self.size * 2, (self.size + wanted) / 2)
        self.size = max(1, min(self.ceiling, int(size)))


Check = Callable[[], Awaitable[str | None]]


def load_check(url: DatabaseURL, spec: str) -> Check:
    """``--max-load Threads_running=25``: pause while the status variable is above 25."""
    match = re.fullmatch(r"([A-Za-z_]+)=(\d+)", spec.strip())
    if not match:
        raise ConfigError(f"--max-load {spec!r}: expected NAME=NUMBER, e.g. Threads_running=25")
    name, limit = match.group(1), int(match.group(2))
    monitor = Monitor(url)

    async def check() -> str | None:
        value = await monitor.global_status(name)
        if value is None:
            raise ConfigError(f"--max-load: the server has no status variable {name}")
        return f"{name}={value} > {limit}" if value > limit else None

    return check


def lag_check(url: DatabaseURL, max_lag: float) -> Check:
    """``--replica-url URL --max-lag S``: pause while the replica is S seconds behind or more,
    or does not replicate at all (its lag is then unknown)."""
    monitor = Monitor(url)

    async def check() -> str | None:
        lag = await monitor.replica_lag()
        if lag is None:
            return "replica not replicating"
        return f"replica lag {lag:g} s > {max_lag:g} s" if lag > max_lag else None

    return check


@dataclass
class Gate:
    checks: list[Check]
    on_pause: Callable[[str | None], None]
    _lock: asyncio.Lock | None = None
    _clear_until: float = 0.0

    async def wait(self) -> None:
        """Return once every check passes (looked at no more than once a second)."""
        if not self.checks:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            paused = False
            while time.monotonic() >= self._clear_until:
                reason = await self._first_reason()
                if reason is None:
                    self._clear_until = time.monotonic() + CHECK_EVERY
                    break
                paused = True
                self.on_pause(reason)
                await asyncio.sleep(CHECK_EVERY)
            if paused:
                self.on_pause(None)

    async def _first_reason(self) -> str | None:
        for check in self.checks:
            try:
                reason = await check()
            except ConfigError:
                raise
            except Exception as exc:
                reason = f"cannot read the server ({type(exc).__name__})"
            if reason:
                return reason
        return None


class Pace:
    """A shared schedule: the n leads of a batch may start n / rate seconds after the last."""

    def __init__(self, max_rate: float | None) -> None:
        self.interval = 1.0 / max_rate if max_rate else 0.0
        self.next_start = 0.0

    async def take(self, leads: int) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        start = max(now, self.next_start)
        self.next_start = start + leads * self.interval
        if start > now:
            await asyncio.sleep(start - now)
