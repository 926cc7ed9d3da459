"""The end of a run: the summary table and the CSV of leads kept or not found."""

from __future__ import annotations

import csv
from pathlib import Path

from gateway.bulk.state import State


def write_kept_csv(state: State, path: Path) -> int:
    rows = state.kept() + sorted((i, "not_found") for b in state.done.values() for i in b.not_found)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["lead_id", "reason"])
        writer.writerows(rows)
    return len(rows)


def summary_table(state: State, *, predicted: bool = False) -> str:
    """The run's counts; a dry run's are the same lines, marked as predicted, so that the real
    run of the same selection on unchanged tables prints the same numbers."""
    totals = state.totals()
    lines = [f"{'leads in the job':<24}{len(state.ids):>12,}"]
    for key in ("inserted", "updated", "deleted"):
        lines.append(f"{key:<24}{totals.get(key, 0):>12,}")
    for key, value in totals.items():
        if key.startswith("kept_"):
            lines.append(f"{'kept (' + key[5:] + ')':<24}{value:>12,}")
    lines.append(f"{'already archived':<24}{totals.get('already', 0):>12,}")
    lines.append(f"{'not found':<24}{totals.get('not_found', 0):>12,}")
    if predicted:
        lines = [f"{line}   (predicted)" for line in lines]
        lines.insert(0, "dry run: nothing was written; what a run would do now:")
    return "\n".join(lines)
