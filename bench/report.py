"""The results file (JSON) and the markdown table, with each figure's target from
:mod:`bench.targets`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.figures import FIGURES
from bench.figures.common import Row
from bench.targets import TARGETS


def _clean(value: Any) -> Any:
    """NaN and infinity are not JSON: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_json(results: dict[str, Any], path: Path) -> None:
    """Written atomically: a crash later in the run (a plot, say) keeps what was measured."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(_clean(results), indent=1, default=str) + "\n")
    tmp.replace(path)


def read_json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text())) if path.exists() else {}


def markdown(results: dict[str, Any]) -> str:
    rows: list[Row] = []
    extra: list[str] = []
    measured_targets: set[str] = set()
    for key, module in FIGURES.items():
        if key not in results:
            continue
        rows += module.rows(results[key])
        table = getattr(module, "table", None)
        if table is not None:
            extra += ["", *table(results[key])]
    for row in rows:
        if row.target:
            measured_targets.add(row.target)
    out = ["| figure | measured | ratio | target | |", "|---|---|---|---|---|"]
    for row in rows:
        target = TARGETS[row.target] if row.target else None
        verdict = target.met(row.value) if target else ""
        target_text = target.text() if target else row.note
        out.append(f"| {row.figure} | {row.measured} | {row.ratio} | {target_text} | {verdict} |")
    for key, target in TARGETS.items():
        if key not in measured_targets and target.op and not _figure_present(key, results):
            out.append(f"| {target.what} | | | {target.text()} | not measured |")
    return "\n".join(out + extra) + "\n"


def _figure_present(target_key: str, results: dict[str, Any]) -> bool:
    return target_key.split(".")[0] in results
