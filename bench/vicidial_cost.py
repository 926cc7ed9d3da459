"""What a VICIdial-bound key and VICIdial's logs cost a 500-lead gateway call.

    .venv/bin/python -m bench.vicidial_cost [--leads 200000] [--batches 15] [--engine MyISAM]

On a VICIdial-shaped vicidial_list in a private MariaDB (``LEAD_ARCHIVE_BENCH_DSN`` for an
existing server), with VICIdial's users, user groups, campaigns, lists and logs, each round
archives four batches of 500 leads with ``CALL lead_archive_gateway_move`` (the gateway's one
call per request), in a rotating order:

- ``unbound, logs off``: a key without a VICIdial user, LEAD_ARCHIVE_VICIDIAL_LOG=off: the
  call as it was before VICIdial users and logs (plus the audit note);
- ``unbound, logs on``: the same with the admin log and api log rows;
- ``bound, logs on``: a key bound to a VICIdial user (the user's check in the call);
- ``bound + list restriction, logs on``: its user has api_list_restrict='1' (every lead is
  checked against the lists of the group's campaigns; all are allowed).

Then, 200 times each, what the bound key and the logs add, alone (short calls, much less
disturbed by a busy machine than the differences between whole calls):
``lead_archive_authenticate`` (the other call of a request) for an unbound and a bound key;
``lead_archive_vicidial_user`` (the user's check the move call repeats);
``lead_archive_vicidial_restrict`` on 500 leads that are all allowed; and
``lead_archive_vicidial_log`` for a move's audit row (the admin log row, the api log row and
the audit note). Prints medians, and for whole calls the difference to the first variant.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import time
from typing import Any

from bench.archive_batch import prepare
from gateway.admin import installer
from gateway.db import execute_all
from gateway.dburl import DatabaseURL
from gateway.dev.mariadb_server import PrivateServer

BATCH = 500
VARIANTS = (
    ("unbound, logs off", "plain", False),
    ("unbound, logs on", "plain", True),
    ("bound, logs on", "bound", True),
    ("bound + list restriction, logs on", "restricted", True),
)


def digest(name: str) -> bytes:
    return hashlib.sha256(f"bench-key-{name}".encode()).digest()


async def setup_vicidial(conn: Any) -> None:
    await installer.run_script(conn, installer.read_sql("vicidial", "users_and_logs.sql"))
    statements = [
        "INSERT INTO vicidial_campaigns VALUES ('SALES', 'Sales', 'Y'), ('OTHER', 'Other', 'Y')",
        "INSERT INTO vicidial_lists (list_id, list_name, campaign_id, active) SELECT seq,"
        " CONCAT('list ', seq), IF(seq < 1006, 'SALES', 'OTHER'), 'Y' FROM seq_1000_to_1011",
        "INSERT INTO vicidial_user_groups VALUES ('ARCHIVERS', 'Archivers', ' SALES OTHER -')",
    ]
    for user, restrict in (("bound", "0"), ("restricted", "1")):
        statements.append(
            "INSERT INTO vicidial_users (`user`, pass, user_level, user_group, active,"
            " modify_leads, vdc_agent_api_access, api_allowed_functions, api_list_restrict)"
            f" VALUES ('{user}', 'x', 9, 'ARCHIVERS', 'Y', '1', '1', ' ALL_FUNCTIONS ',"
            f" '{restrict}')"
        )
    for sql in statements:
        await execute_all(conn, sql)
    for name in ("plain", "bound", "restricted"):
        await execute_all(
            conn,
            "CALL lead_archive_key_create_bound(%s, %s, %s)",
            [name, digest(name), None if name == "plain" else name],
        )


async def timed(conn: Any, sql: str, args: list[Any]) -> float:
    started = time.perf_counter()
    await execute_all(conn, sql, args)
    return (time.perf_counter() - started) * 1000


def summary(name: str, values: list[float], base: float | None) -> str:
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    median = statistics.median(values)
    delta = "" if base is None else f"   {median - base:+7.2f} ms vs the first"
    return (
        f"{name:<36} median {median:8.2f} ms   p25 {q[0]:8.2f}   p75 {q[2]:8.2f}"
        f"   n={len(values)}{delta}"
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    dsn = os.environ.get("LEAD_ARCHIVE_BENCH_DSN")
    server = None
    if dsn:
        url = DatabaseURL.parse(dsn)
    else:
        server = PrivateServer().start()
        url = server.url("la_bench_vicidial")
    results: dict[str, list[float]] = {name: [] for name, _, _ in VARIANTS}
    auth: dict[str, list[float]] = {}
    try:
        conn = await prepare(url, args.leads, args.engine)
        await setup_vicidial(conn)
        rounds = args.batches + args.warmup
        stride = args.leads // (len(VARIANTS) * rounds + 1)
        batch = 0
        last = ("", "", "")
        for k in range(rounds):
            order = VARIANTS[k % len(VARIANTS) :] + VARIANTS[: k % len(VARIANTS)]
            for name, key, log in order:
                first = 1 + batch * stride
                batch += 1
                ids = json.dumps(list(range(first, first + BATCH)))
                ms = await timed(
                    conn,
                    "CALL lead_archive_gateway_move('archive', %s, %s, '192.0.2.1', %s,"
                    " TRUE, TRUE, TRUE, %s)",
                    [digest(key), f"bench-{batch}", ids, log],
                )
                last = (f"bench-{batch}", key, ids)
                if k >= args.warmup:
                    results[name].append(ms)
        # a batch still in vicidial_list, and the audit row of the last call
        remaining = json.dumps(list(range(args.leads - BATCH + 1, args.leads + 1)))
        steps = (
            (
                "authenticate, unbound key",
                "CALL lead_archive_authenticate(%s, '192.0.2.1', 'lead_archive', 'r', TRUE)",
                [digest("plain")],
            ),
            (
                "authenticate, bound key",
                "CALL lead_archive_authenticate(%s, '192.0.2.1', 'lead_archive', 'r', TRUE)",
                [digest("bound")],
            ),
            (
                "the user's check (vicidial_user)",
                "CALL lead_archive_vicidial_user('bound', 'lead_archive', @s, @u, @g, @r)",
                [],
            ),
            (
                "list restriction, 500 leads",
                "CALL lead_archive_vicidial_restrict('archive', %s, 'ARCHIVERS')",
                [remaining],
            ),
            (
                "the logs of a move (vicidial_log)",
                "CALL lead_archive_vicidial_log('archive', %s, %s, %s, 0, 'bench',"
                " 'ARCHIVERS', '192.0.2.1', '192.0.2.1', TRUE, NOW(6), TRUE)",
                [last[1], last[0], last[2]],
            ),
        )
        for _ in range(200):
            for label, sql, call_args in steps:
                auth.setdefault(label, []).append(await timed(conn, sql, call_args or None))
        rows = await execute_all(
            conn,
            "SELECT COUNT(*) FROM vicidial_admin_log UNION ALL SELECT COUNT(*) FROM"
            " vicidial_api_log",
        )
        logged = [int(r[0]) for r in rows[-1]]
        conn.close()
    finally:
        if server:
            server.stop()
    base = statistics.median(results[VARIANTS[0][0]])
    for name, values in results.items():
        print(summary(name, values, None if name == VARIANTS[0][0] else base))
    for name, values in auth.items():
        print(summary(name, values, None))
    print(f"rows written: vicidial_admin_log {logged[0]}, vicidial_api_log {logged[1]}")
    return {"calls_ms": results, "steps_ms": auth}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--batches", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--engine", choices=["MyISAM", "InnoDB"], default="MyISAM")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
