"""P4: archive_leads at the smallest and the largest table, and plain SQL doing the same copy
and delete at both: the baseline shows what the table size costs any archiver."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.figures.common import Context, Row, call_batch, plain_batch
from bench.processes import BATCH
from bench.stats import med, spread
from gateway.db import connect

KEY = "P4"


async def _measure(ctx: Context) -> dict[str, Any]:
    sizes = sorted(ctx.myisam)
    datasets = [ctx.myisam[sizes[0]], ctx.myisam[sizes[-1]]]
    conns = [await connect(d.url) for d in datasets]
    ours: dict[int, list[float]] = {d.leads: [] for d in datasets}
    plain: dict[int, list[float]] = {d.leads: [] for d in datasets}
    try:
        for k in range(ctx.rounds + 2):
            for d, conn in list(zip(datasets, conns, strict=True))[:: (1 if k % 2 else -1)]:
                ms = await call_batch(conn, d.take(BATCH))
                base = await plain_batch(conn, d.take(BATCH))
                if k >= 2:
                    ours[d.leads].append(ms)
                    plain[d.leads].append(base)
    finally:
        for conn in conns:
            conn.close()
    small, large = sorted(ours)[0], sorted(ours)[-1]
    return {
        "batch_ms_by_leads": {str(n): spread(v) for n, v in ours.items()},
        "plain_sql_ms_by_leads": {str(n): spread(v) for n, v in plain.items()},
        "ratio_largest_smallest": round(med(ours[large]) / med(ours[small]), 3),
        "plain_sql_ratio_largest_smallest": round(med(plain[large]) / med(plain[small]), 3),
    }


def measure(ctx: Context) -> dict[str, Any]:
    return asyncio.run(_measure(ctx))


def rows(r: dict[str, Any]) -> list[Row]:
    def sizes(by: dict[str, Any]) -> str:
        return ", ".join(f"{int(n):,}: {v['median']} ms" for n, v in by.items())

    return [
        Row(
            "P4 batch at largest / smallest table",
            sizes(r["batch_ms_by_leads"]),
            f"{r['ratio_largest_smallest']}×",
            "P4",
            r["ratio_largest_smallest"],
        ),
        Row(
            "P4 baseline: plain SQL at the same two sizes",
            sizes(r["plain_sql_ms_by_leads"]),
            f"{r['plain_sql_ratio_largest_smallest']}×",
            note="(what size costs any archiver)",
        ),
    ]
