"""One module per measured figure. Each has ``KEY``, ``measure(ctx) -> dict`` and
``rows(result) -> list[Row]`` (the report's table lines; ``Row.target`` names an entry of
:data:`bench.targets.TARGETS`), and may have ``table(result) -> list[str]`` (a detail table
printed under the main one)."""

from __future__ import annotations

from types import ModuleType

from bench.figures import dialer_impact, lookup, p1, p2, p3, p4, p5, p6

FIGURES: dict[str, ModuleType] = {m.KEY: m for m in (p1, p2, p3, p4, p5, p6, lookup, dialer_impact)}
