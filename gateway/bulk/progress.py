"""What the operator sees while a run goes: a tqdm bar on a terminal, else a line every 10 s."""

from __future__ import annotations

import sys
import time
from typing import Any


class Progress:
    """tqdm on a terminal; otherwise a log line every 10 seconds; and why the run pauses."""

    def __init__(self, total: int, done: int, what: str) -> None:
        self.total, self.done, self.what = total, done, what
        self.started = time.monotonic()
        self.start_done = done
        self.last_line = 0.0
        self.bar: Any = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=total, initial=done, unit=" leads", desc=what, unit_scale=True, smoothing=0.1
            )

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.monotonic()
        if now - self.last_line >= 10 or self.done >= self.total:
            self.last_line = now
            rate = (self.done - self.start_done) / max(now - self.started, 1e-9)
            eta = (self.total - self.done) / rate if rate else float("inf")
            print(
                f"{self.what}: {self.done:,}/{self.total:,} leads, {rate:,.0f} leads/s, "
                f"ETA {eta:,.0f} s",
                file=sys.stderr,
                flush=True,
            )

    def pause(self, reason: str | None) -> None:
        """Say why the run waits (None: it goes on)."""
        if self.bar is not None:
            self.bar.set_postfix_str(f"paused: {reason}" if reason else "", refresh=True)
        elif reason:
            print(f"{self.what}: paused: {reason}", file=sys.stderr, flush=True)
        else:
            print(f"{self.what}: going on", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
