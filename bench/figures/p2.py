"""P2: the gateway's overhead, an HTTP request vs a direct CALL of the same kind of batch."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bench.figures.common import Context, Row, call_batch
from bench.processes import BATCH, FLAGS, gateway
from bench.stats import med, spread
from gateway.db import connect

KEY = "P2"


async def _measure(ctx: Context, base: str) -> dict[str, Any]:
    data = ctx.main
    conn = await connect(data.url)
    http_ms: list[float] = []
    direct: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            headers = {"Authorization": f"Key={data.key}"}

            async def via_http(_: Any, ids: list[int]) -> float:
                started = time.perf_counter()
                response = await client.post(
                    "/vicidial/leads/archive", headers=headers, json={**FLAGS, "lead_ids": ids}
                )
                assert response.status_code == 200, response.text
                return (time.perf_counter() - started) * 1000

            for k in range(ctx.rounds + 2):
                pair = [(http_ms, via_http), (direct, call_batch)][:: 1 if k % 2 else -1]
                for sink, run in pair:
                    ms = await run(conn, data.take(BATCH))
                    if k >= 2:
                        sink.append(ms)
    finally:
        conn.close()
    return {
        "http_ms": spread(http_ms),
        "direct_call_ms": spread(direct),
        "ratio": round(med(http_ms) / med(direct), 3),
    }


def measure(ctx: Context) -> dict[str, Any]:
    with gateway(ctx.main.server.port) as gw:
        return asyncio.run(_measure(ctx, gw.base))


def rows(r: dict[str, Any]) -> list[Row]:
    return [
        Row(
            "P2 gateway overhead: HTTP / direct CALL",
            f"{r['http_ms']['median']} / {r['direct_call_ms']['median']} ms",
            f"{r['ratio']}×",
            "P2",
            r["ratio"],
        )
    ]
