"""P6: the gateway's resident memory after 10,000 requests, and refusals per second (wrk)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from bench.figures.common import Context, Row
from bench.load import lua, rss_mb, wrk
from bench.processes import FLAGS, gateway

KEY = "P6"


async def _requests(ctx: Context, base: str, pid: int, seconds: int) -> dict[str, Any]:
    data = ctx.main
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        bad_body = wrk(base + "/vicidial/leads/archive", lua(data.key, "not json"), seconds)
        sem = asyncio.Semaphore(8)
        headers = {"Authorization": f"Key={data.key}", "Content-Type": "application/json"}

        async def one(i: int) -> None:
            async with sem:
                if i % 100 == 0:  # some real archive calls among the refusals
                    await client.post(
                        "/vicidial/leads/archive",
                        headers=headers,
                        json={**FLAGS, "lead_ids": data.take(20)},
                    )
                else:
                    await client.post(
                        "/vicidial/leads/archive",
                        headers=headers,
                        content=b'{"insert_leads": true}',
                    )

        start_rss = rss_mb(pid)
        await asyncio.gather(*(one(i) for i in range(10_000)))
        end_rss = rss_mb(pid)
        bad_key = wrk(base + "/vicidial/leads/archive", lua("la_" + "x" * 43, "{}"), seconds)
    return {
        "rss_mb_start": round(start_rss, 1),
        "rss_mb_after_10k": round(end_rss, 1),
        "refused_per_second_bad_body": round(bad_body),
        "refused_per_second_bad_key": round(bad_key),
    }


def measure(ctx: Context) -> dict[str, Any]:
    with gateway(ctx.main.server.port, workers=1, pool_size=10) as gw:
        return asyncio.run(_requests(ctx, gw.base, gw.pid, 5 if ctx.quick else 10))


def rows(r: dict[str, Any]) -> list[Row]:
    return [
        Row(
            "P6 gateway RSS after 10,000 requests",
            f"{r['rss_mb_start']} → {r['rss_mb_after_10k']} MB",
            "",
            "P6.rss_mb",
            r["rss_mb_after_10k"],
        ),
        Row(
            "P6 refusals per second (8 connections)",
            f"bad body {r['refused_per_second_bad_body']:,}"
            f", bad key {r['refused_per_second_bad_key']:,}",
            "",
            "P6.refused_per_second",
            min(r["refused_per_second_bad_body"], r["refused_per_second_bad_key"]),
        ),
    ]
