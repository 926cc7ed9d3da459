"""P1: the cost of verification. archive_leads vs plain set-based SQL, 500-id batches.

    .venv/bin/python -m bench.archive_batch [--leads 1000000] [--batches 15] [--engine MyISAM]

On a VICIdial-shaped vicidial_list (35 columns, 13 indexes) in a private MariaDB, each round
archives one batch of 500 leads with ``CALL archive_leads(ids, TRUE, TRUE, TRUE)`` and another
with plain SQL doing the same copy and delete without any check (what VICIdial's
ADMIN_archive_leads.pl does), alternating which goes first. Prints the median and spread of
both, and their ratio (against bench/targets.py's P1). Set ``LEAD_ARCHIVE_BENCH_DSN`` to use
an existing server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import Sequence
from typing import Any

import asyncmy

from bench.targets import TARGETS
from gateway.admin import installer
from gateway.db import connect  # noqa: F401  (quiets asyncmy's warning log)
from gateway.dburl import DatabaseURL
from gateway.dev.mariadb_server import PrivateServer

BATCH = 500
# The contender without checks: the copy and the delete VICIdial's own script does.
PLAIN_COPY = "INSERT INTO vicidial_list_archive SELECT * FROM vicidial_list WHERE lead_id IN ({})"
PLAIN_DELETE = "DELETE FROM vicidial_list WHERE lead_id IN ({})"


async def prepare(url: DatabaseURL, leads: int, engine: str) -> Any:
    root = await asyncmy.connect(autocommit=True, **{**url.connect_args(), "db": "mysql"})
    async with root.cursor() as cur:
        await cur.execute(f"DROP DATABASE IF EXISTS `{url.database}`")
        await cur.execute(
            f"CREATE DATABASE `{url.database}` CHARACTER SET utf8mb3 COLLATE utf8mb3_unicode_ci"
        )
    root.close()
    conn = await asyncmy.connect(autocommit=True, **url.connect_args())
    started = time.perf_counter()
    await installer.load_vicidial_schema(conn, engine)
    for first in range(1, leads + 1, 250_000):
        await installer.load_sample_leads(conn, first, min(leads, first + 249_999))
    await installer.create_archive(conn)
    await installer.install(conn)
    print(f"loaded {leads:,} {engine} leads in {time.perf_counter() - started:.1f}s")
    return conn


async def timed(conn: Any, statements: Sequence[str]) -> float:
    started = time.perf_counter()
    async with conn.cursor() as cur:
        for sql in statements:
            await cur.execute(sql)
            while await cur.nextset():
                pass
    return (time.perf_counter() - started) * 1000


def summary(name: str, values: list[float]) -> str:
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return (
        f"{name:<28} median {statistics.median(values):8.1f} ms   "
        f"p25 {q[0]:8.1f}   p75 {q[2]:8.1f}   n={len(values)}"
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    dsn = os.environ.get("LEAD_ARCHIVE_BENCH_DSN")
    server = None
    if dsn:
        url = DatabaseURL.parse(dsn)
    else:
        server = PrivateServer().start()
        url = server.url("la_bench")
    try:
        conn = await prepare(url, args.leads, args.engine)
        ours: list[float] = []
        plain: list[float] = []
        # Spread the batches over the table, as an operator archiving old lists would.
        stride = args.leads // (2 * (args.batches + args.warmup) + 1)
        starts = [1 + k * stride for k in range(2 * (args.batches + args.warmup))]
        for k in range(args.batches + args.warmup):
            ids_a = list(range(starts[2 * k], starts[2 * k] + BATCH))
            ids_b = list(range(starts[2 * k + 1], starts[2 * k + 1] + BATCH))
            id_list = ",".join(map(str, ids_b))
            call = [f"CALL archive_leads('{json.dumps(ids_a)}', TRUE, TRUE, TRUE)"]
            bare = [PLAIN_COPY.format(id_list), PLAIN_DELETE.format(id_list)]
            if k % 2:
                p, o = await timed(conn, bare), await timed(conn, call)
            else:
                o, p = await timed(conn, call), await timed(conn, bare)
            if k >= args.warmup:
                ours.append(o)
                plain.append(p)
        conn.close()
    finally:
        if server:
            server.stop()
    ratio = statistics.median(ours) / statistics.median(plain)
    print(summary("archive_leads (verified)", ours))
    print(summary("plain INSERT…SELECT+DELETE", plain))
    print(f"ratio archive_leads / plain: {ratio:.2f}  (target {TARGETS['P1'].text()})")
    return {"ours_ms": ours, "plain_ms": plain, "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--engine", choices=["MyISAM", "InnoDB"], default="MyISAM")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
