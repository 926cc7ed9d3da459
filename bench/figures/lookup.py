"""L1: the phone look-up on a 1M-row archive, over HTTP and as a direct CALL.

A dataset of its own (``lookup-`` prefix, as many leads as the main one, 1M by default with
``--sizes``), every lead moved into ``vicidial_list_archive`` once. Then, one request at a
time, look-ups of numbers the archive holds and of numbers it does not, through
``POST /vicidial/leads/archive/lookup`` and as ``CALL lead_archive_lookup`` on one connection.
The figure is the HTTP p99 (what an integration waits), against the target < 10 ms.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import httpx

from bench.data import open_dataset
from bench.figures.common import Context, Row
from bench.processes import gateway
from bench.stats import latency
from gateway.db import connect

KEY = "L1"
PATH = "/vicidial/leads/archive/lookup"


async def _archive_everything(ctx_url: Any) -> list[str]:
    conn = await connect(ctx_url)
    try:
        async with conn.cursor() as cur:
            await cur.execute("SELECT COUNT(*) FROM vicidial_list")
            (left,) = await cur.fetchone()
            if left:
                await cur.execute("INSERT INTO vicidial_list_archive SELECT * FROM vicidial_list")
                await cur.execute("DELETE FROM vicidial_list")
            await cur.execute(
                "SELECT phone_number FROM vicidial_list_archive ORDER BY RAND(7) LIMIT 2000"
            )
            return [str(r[0]) for r in await cur.fetchall()]
    finally:
        conn.close()


async def _measure(key: str, base: str, url: Any, phones: list[str], n: int) -> dict[str, Any]:
    rng = random.Random(11)
    asked = [rng.choice(phones) if i % 2 else f"555{rng.randrange(10**7):07d}" for i in range(n)]
    http_ms: list[float] = []
    found = 0
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        headers = {"Authorization": f"Key={key}", "Content-Type": "application/json"}
        for phone in asked[:50]:  # warm the pool and the caches
            await client.post(PATH, headers=headers, json={"phone_number": phone})
        for phone in asked:
            started = time.perf_counter()
            response = await client.post(PATH, headers=headers, json={"phone_number": phone})
            http_ms.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            found += response.json()["count"] > 0
    call_ms: list[float] = []
    conn = await connect(url)
    try:
        async with conn.cursor() as cur:
            for phone in asked:
                started = time.perf_counter()
                await cur.execute("CALL lead_archive_lookup(%s, 51)", (phone,))
                await cur.fetchall()
                while await cur.nextset():
                    pass
                call_ms.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    return {"lookups": n, "found": found, "http_ms": latency(http_ms), "call_ms": latency(call_ms)}


def measure(ctx: Context) -> dict[str, Any]:
    leads = ctx.main.leads if ctx.quick else max(ctx.main.leads, 1_000_000)
    data = open_dataset("MyISAM", leads, fresh=ctx.fresh, prefix="lookup-")
    try:
        phones = asyncio.run(_archive_everything(data.url))
        with gateway(data.server.port, workers=1, pool_size=4) as gw:
            result = asyncio.run(
                _measure(data.key, gw.base, data.url, phones, 1000 if ctx.quick else 5000)
            )
        result["archive_rows"] = leads
        return result
    finally:
        data.close()


def rows(r: dict[str, Any]) -> list[Row]:
    http, call = r["http_ms"], r["call_ms"]
    return [
        Row(
            f"L1 phone look-up, {r['archive_rows']:,}-row archive, HTTP",
            f"p50 {http['p50']:.2f} ms, p99 {http['p99']:.2f} ms "
            f"(CALL alone: p50 {call['p50']:.2f}, p99 {call['p99']:.2f})",
            target="phone_lookup_p99",
            value=http["p99"],
            note=f"{r['lookups']:,} look-ups one at a time, half of archived numbers",
        )
    ]
