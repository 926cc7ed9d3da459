"""What a bulk run does and how gently: read by the runner and the transports."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.contract import MAX_LEADS
from gateway.db import Direction


@dataclass(frozen=True)
class Options:
    direction: Direction
    insert: bool
    update: bool
    delete: bool
    batch_size: int = MAX_LEADS
    wait: bool = False
    retry_for: float = 600.0
    parallel: int = 2
    max_lock_ms: float | None = None
    sleep: float = 0.0
    max_rate: float | None = None
