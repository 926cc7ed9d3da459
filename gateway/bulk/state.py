"""The state file of a bulk run: resumable, and valid after any interruption.

JSON lines. The first line fixes the job (what it does and the ids, in order); every finished
batch appends one line naming the stretch of the id list it covered (``start``, ``count``:
batches change size when the run adapts them), flushed and fsynced before the next batch
starts. A line cut short by a kill is ignored on reading, so the batch it described runs again
(every step of the procedures is safe to re-run).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def fingerprint(job: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(job, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class BatchRecord:
    start: int  # position of its first lead in the job's id list
    count: int
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    kept: dict[int, str] = field(default_factory=dict)  # lead_id → reason
    not_found: list[int] = field(default_factory=list)
    # archived already (by an earlier, interrupted attempt at this batch, or by someone else)
    already: list[int] = field(default_factory=list)


@dataclass
class State:
    path: Path
    job: dict[str, Any]
    ids: list[int]
    done: dict[int, BatchRecord] = field(default_factory=dict)  # by start

    def pending(self) -> list[tuple[int, int]]:
        """The stretches (start, end) of the id list that no finished batch covers."""
        covered = sorted((b.start, b.start + b.count) for b in self.done.values())
        out: list[tuple[int, int]] = []
        at = 0
        for start, end in covered:
            if start > at:
                out.append((at, start))
            at = max(at, end)
        if at < len(self.ids):
            out.append((at, len(self.ids)))
        return out

    def done_leads(self) -> int:
        return len(self.ids) - sum(end - start for start, end in self.pending())

    @classmethod
    def open(cls, path: Path, job: dict[str, Any], ids: list[int] | None) -> State:
        """Resume ``path`` when it holds the same job; otherwise start it with ``ids``."""
        if path.exists():
            lines = path.read_text().splitlines()
            try:
                header = json.loads(lines[0])
            except (IndexError, json.JSONDecodeError):
                header = {}
            if header.get("job") == job:
                state = cls(path, job, [int(i) for i in header["ids"]])
                for line in lines[1:]:
                    try:
                        entry = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # cut short by a kill: that batch runs again
                    if "index" in entry:  # written before batches could change size
                        size = int(job["batch_size"])
                        entry["start"] = entry["index"] * size
                        entry["count"] = min(size, len(state.ids) - entry["start"])
                    record = BatchRecord(
                        entry["start"],
                        entry["count"],
                        entry["inserted"],
                        entry["updated"],
                        entry["deleted"],
                        {int(k): v for k, v in entry["kept"].items()},
                        entry["not_found"],
                        entry.get("already", []),
                    )
                    state.done[record.start] = record
                return state
            raise FileExistsError(
                f"{path} belongs to another job; remove it or pass another --state-file"
            )
        if ids is None:
            raise ValueError("a new job needs its ids")
        state = cls(path, job, ids)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as f:
            f.write(json.dumps({"job": job, "ids": ids}) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return state

    def record(self, batch: BatchRecord) -> None:
        entry = {
            "start": batch.start,
            "count": batch.count,
            "inserted": batch.inserted,
            "updated": batch.updated,
            "deleted": batch.deleted,
            "kept": {str(k): v for k, v in batch.kept.items()},
            "not_found": batch.not_found,
            "already": batch.already,
        }
        with open(self.path, "a") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.done[batch.start] = batch

    def totals(self) -> dict[str, int]:
        reasons: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        for batch in self.done.values():
            totals["inserted"] += batch.inserted
            totals["updated"] += batch.updated
            totals["deleted"] += batch.deleted
            totals["not_found"] += len(batch.not_found)
            totals["already"] += len(batch.already)
            reasons.update(batch.kept.values())
        return {**totals, **{f"kept_{r}": n for r, n in sorted(reasons.items())}}

    def kept(self) -> list[tuple[int, str]]:
        return sorted((i, r) for b in self.done.values() for i, r in b.kept.items())
