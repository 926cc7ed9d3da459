"""What the figure modules share: the run's context and the report's row."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.archive_batch import PLAIN_COPY, PLAIN_DELETE, timed
from bench.data import Dataset


@dataclass
class Context:
    """What a figure may use: the MyISAM datasets by size, the main one, the run's settings."""

    myisam: dict[int, Dataset]
    main: Dataset
    quick: bool
    fresh: bool
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def rounds(self) -> int:
        return 8 if self.quick else 15

    @property
    def reps(self) -> int:
        return 2 if self.quick else 3


@dataclass
class Row:
    figure: str
    measured: str
    ratio: str = ""
    target: str | None = None  # a key of TARGETS
    value: float | None = None  # the number compared with the target
    note: str = ""


async def call_batch(conn: Any, ids: Sequence[int]) -> float:
    return await timed(conn, [f"CALL archive_leads('{json.dumps(list(ids))}', 1, 1, 1)"])


async def plain_batch(conn: Any, ids: Sequence[int]) -> float:
    text = ",".join(map(str, ids))
    return await timed(conn, [PLAIN_COPY.format(text), PLAIN_DELETE.format(text)])
