"""P5: 1, 4 and 16 concurrent HTTP clients on disjoint ids, MyISAM and InnoDB."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bench.data import Dataset, open_dataset
from bench.figures.common import Context, Row
from bench.processes import BATCH, FLAGS, gateway
from bench.stats import spread

KEY = "P5"
CLIENTS = (1, 4, 16)


async def _one(data: Dataset, base: str, clients: int, batches: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    sets = [data.take(batches * BATCH) for _ in range(clients)]

    async def client(ids: list[int]) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=300) as http:
            for i in range(0, len(ids), BATCH):
                started = time.perf_counter()
                response = await http.post(
                    "/vicidial/leads/archive",
                    headers={"Authorization": f"Key={data.key}"},
                    json={**FLAGS, "lead_ids": ids[i : i + BATCH]},
                )
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    code = str(response.json().get("code"))
                    errors[code] = errors.get(code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client(ids) for ids in sets))
    seconds = time.perf_counter() - started
    return {
        "clients": clients,
        "leads_per_second": round(clients * batches * BATCH / seconds),
        "latency_ms": spread(latencies),
        "errors": errors,
    }


def measure(ctx: Context) -> dict[str, Any]:
    sizes = sorted(ctx.myisam)
    innodb = open_dataset("InnoDB", sizes[0] if ctx.quick else 1_000_000, fresh=ctx.fresh)
    batches = 4 if ctx.quick else 8
    out: dict[str, Any] = {}
    try:
        for data in (ctx.main, innodb):
            with gateway(data.server.port, workers=2) as gw:
                out[data.engine] = [asyncio.run(_one(data, gw.base, c, batches)) for c in CLIENTS]
            for row in out[data.engine]:
                print(
                    f"  P5 {data.engine} {row['clients']:>2} clients: "
                    f"{row['leads_per_second']:,} leads/s, p99 {row['latency_ms']['p99']} ms,"
                    f" errors {row['errors']}",
                    flush=True,
                )
    finally:
        innodb.close()
    return out


def rows(r: dict[str, Any]) -> list[Row]:
    errors = sum(sum(row["errors"].values()) for rows in r.values() for row in rows)
    return [
        Row("P5 concurrent clients (table below): errors", str(errors), "", "P5.errors", errors)
    ]


def table(r: dict[str, Any]) -> list[str]:
    out = [
        "| P5 engine | clients | leads/s | median ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
    ]
    for engine, p5rows in r.items():
        out += [
            f"| {engine} | {row['clients']} | {row['leads_per_second']:,} | "
            f"{row['latency_ms']['median']} | {row['latency_ms']['p99']} | "
            f"{sum(row['errors'].values())} |"
            for row in p5rows
        ]
    return out
