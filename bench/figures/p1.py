"""P1: a batch of 500 through archive_leads vs plain INSERT…SELECT + DELETE (no checks)."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.figures.common import Context, Row, call_batch, plain_batch
from bench.processes import BATCH
from bench.stats import med, spread
from gateway.db import connect

KEY = "P1"


async def _measure(ctx: Context) -> dict[str, Any]:
    data = ctx.main
    conn = await connect(data.url)
    ours: list[float] = []
    plain: list[float] = []
    try:
        for k in range(ctx.rounds + 2):  # two warm-up rounds; the order alternates
            pair = [(ours, call_batch), (plain, plain_batch)][:: 1 if k % 2 else -1]
            for sink, run in pair:
                ms = await run(conn, data.take(BATCH))
                if k >= 2:
                    sink.append(ms)
    finally:
        conn.close()
    return {
        "leads": data.leads,
        "archive_leads_ms": spread(ours),
        "plain_sql_ms": spread(plain),
        "ratio": round(med(ours) / med(plain), 3),
    }


def measure(ctx: Context) -> dict[str, Any]:
    return asyncio.run(_measure(ctx))


def rows(r: dict[str, Any]) -> list[Row]:
    return [
        Row(
            f"P1 batch cost: archive_leads / plain SQL ({r.get('leads', 0):,} MyISAM leads,"
            " 500 ids)",
            f"{r['archive_leads_ms']['median']} / {r['plain_sql_ms']['median']} ms",
            f"{r['ratio']}×",
            "P1",
            r["ratio"],
        )
    ]
