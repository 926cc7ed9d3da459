"""The one loss checker every reliability test uses.

Invariant: for every lead id ever created, the lead is in ``vicidial_list``, or it is in
``vicidial_list_archive`` with data byte-identical to the last version written to
``vicidial_list``. A lead in neither table, or only in a stale archive copy, is a loss.

The tests know the last version of each lead: its row as first read (``Ledger.originals``)
with the columns a concurrent writer changed since (``Ledger.writes``, recorded only when the
writer's UPDATE really changed a row of ``vicidial_list``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from tests.support.dbtools import SyncDB


@dataclass
class Ledger:
    columns: list[str]
    originals: dict[int, tuple[Any, ...]]
    writes: dict[int, dict[str, bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def snapshot(cls, db: SyncDB, ids: list[int]) -> Ledger:
        columns = db.columns("vicidial_list")
        select = ", ".join(f"CAST(`{c}` AS BINARY)" for c in columns)
        originals: dict[int, tuple[Any, ...]] = {}
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            marks = ", ".join(["%s"] * len(chunk))
            for row in db.execute(
                f"SELECT {select} FROM vicidial_list WHERE lead_id IN ({marks})", chunk
            ):
                originals[int(row[0])] = tuple(row)
        return cls(columns, originals)

    def wrote(self, lead_id: int, values: dict[str, bytes]) -> None:
        with self.lock:
            self.writes.setdefault(lead_id, {}).update(values)

    def expected(self, lead_id: int) -> tuple[Any, ...]:
        row = list(self.originals[lead_id])
        for column, value in self.writes.get(lead_id, {}).items():
            row[self.columns.index(column)] = value
        return tuple(row)


@dataclass
class Report:
    checked: int
    in_list: int
    archived: int
    losses: list[tuple[int, str]]


def check_no_loss(db: SyncDB, ledger: Ledger) -> Report:
    """Every lead of the ledger: in vicidial_list, or archived with its last version."""
    select = ", ".join(f"CAST(`{c}` AS BINARY)" for c in ledger.columns)
    current: dict[str, dict[int, tuple[Any, ...]]] = {}
    for table in ("vicidial_list", "vicidial_list_archive"):
        current[table] = {
            int(r[0]): tuple(r) for r in db.execute(f"SELECT {select} FROM `{table}`")
        }
    losses: list[tuple[int, str]] = []
    in_list = archived = 0
    for lead_id in ledger.originals:
        want = ledger.expected(lead_id)
        if lead_id in current["vicidial_list"]:
            in_list += 1
            if current["vicidial_list"][lead_id] != want:
                losses.append((lead_id, "vicidial_list does not hold the last version"))
        elif lead_id in current["vicidial_list_archive"]:
            archived += 1
            if current["vicidial_list_archive"][lead_id] != want:
                losses.append((lead_id, "only a stale archive copy is left"))
        else:
            losses.append((lead_id, "in neither table"))
    return Report(len(ledger.originals), in_list, archived, losses)
