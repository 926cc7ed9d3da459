"""P2 gateway overhead, P6 footprint: the HTTP gateway against a direct CALL.

    .venv/bin/python -m bench.gateway [--leads 200000] [--batches 15] [--seconds 10]

1. The same kind of 500-id batches (insert + update + delete) through
   ``POST /vicidial/leads/archive`` on a real ``lead-archive serve`` process and through a
   direct ``CALL lead_archive_move`` on one connection, alternating; median and ratio
   (target HTTP/direct ≤ 1.15).
2. Rejected requests per second at 8 connections with wrk (Debian's ``wrk``): a bad key (401,
   no database call) and a good key with a malformed body (400, one key lookup). Target
   ≥ 2,000/s. wrk and the gateway share this machine's cores.
3. Resident memory of the worker after 10,000 more requests (target ≤ 80 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.archive_batch import prepare, summary
from gateway import auth
from gateway.db import call_procedure
from gateway.mariadb_server import PrivateServer, free_port

BATCH = 500


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wrk(url: str, script: str, seconds: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", f.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    assert match and total, out
    assert non2xx and non2xx.group(1) == total.group(1), "every request must be refused"
    return float(match.group(1))


def lua(key: str, body: str) -> str:
    return (
        'wrk.method = "POST"\n'
        f'wrk.headers["Authorization"] = "Key={key}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(body)}\n"
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if not shutil.which("wrk"):
        sys.exit("bench.gateway needs wrk: apt-get install wrk")
    server = PrivateServer().start()
    gateway: subprocess.Popen[bytes] | None = None
    try:
        url = server.url("la_bench")
        conn = await prepare(url, args.leads, "MyISAM")
        key = auth.new_key()
        await call_procedure(conn, "lead_archive_key_create", ["bench", auth.key_hash(key)])
        port = free_port()
        env = {
            **os.environ,
            "LEAD_ARCHIVE_DATABASE_URL": f"mysql://root@127.0.0.1:{server.port}/la_bench",
            "LEAD_ARCHIVE_OFFICE_HOURS": "none",
        }
        gateway = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            for _ in range(100):
                try:
                    await client.get("/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            headers = {"Authorization": f"Key={key}", "Content-Type": "application/json"}

            async def http_batch(ids: list[int]) -> float:
                body = {
                    "insert_leads": True,
                    "update_leads": True,
                    "delete_leads": True,
                    "lead_ids": ids,
                }
                started = time.perf_counter()
                response = await client.post("/vicidial/leads/archive", headers=headers, json=body)
                assert response.status_code == 200, response.text
                return (time.perf_counter() - started) * 1000

            async def direct_batch(ids: list[int]) -> float:
                started = time.perf_counter()
                await call_procedure(
                    conn,
                    "lead_archive_move",
                    ["archive", "bench", "direct", json.dumps(ids), 1, 1, 1],
                )
                return (time.perf_counter() - started) * 1000

            http_ms: list[float] = []
            direct_ms: list[float] = []
            rounds = args.batches + 3
            stride = args.leads // (2 * rounds + 1)
            for k in range(rounds):
                a = list(range(1 + 2 * k * stride, 1 + 2 * k * stride + BATCH))
                b = list(range(1 + (2 * k + 1) * stride, 1 + (2 * k + 1) * stride + BATCH))
                if k % 2:
                    h, d = await http_batch(a), await direct_batch(b)
                else:
                    d, h = await direct_batch(a), await http_batch(b)
                if k >= 3:
                    http_ms.append(h)
                    direct_ms.append(d)

            rejected_400 = wrk(base + "/vicidial/leads/archive", lua(key, "not json"), args.seconds)
            before = rss_mb(gateway.pid)
            sem = asyncio.Semaphore(8)

            async def one() -> None:
                async with sem:
                    response = await client.post(
                        "/vicidial/leads/archive",
                        headers=headers,
                        content=b'{"insert_leads": true}',
                    )
                    assert response.status_code == 400

            await asyncio.gather(*(one() for _ in range(10_000)))
            after = rss_mb(gateway.pid)
            # last: a bad key from one address is throttled after 10 tries (429 from then on)
            rejected_401 = wrk(
                base + "/vicidial/leads/archive", lua("la_" + "x" * 43, "{}"), args.seconds
            )
        conn.close()
    finally:
        if gateway:
            gateway.terminate()
            gateway.wait()
        server.stop()
    ratio = statistics.median(http_ms) / statistics.median(direct_ms)
    print(summary("HTTP POST (500 ids)", http_ms))
    print(summary("direct CALL (500 ids)", direct_ms))
    print(f"P2 ratio HTTP / direct: {ratio:.3f}  (target ≤ 1.15)")
    print(
        f"P6 rejected/s at 8 connections: bad body 400 {rejected_400:,.0f}/s, bad key 401/429"
        f" {rejected_401:,.0f}/s  (target ≥ 2,000/s)"
    )
    print(
        f"P6 worker RSS: {before:.1f} MB before, {after:.1f} MB after 10,000 more requests"
        "  (target ≤ 80 MB)"
    )
    return {
        "http_ms": http_ms,
        "direct_ms": direct_ms,
        "ratio": ratio,
        "rejected_401_per_s": rejected_401,
        "rejected_400_per_s": rejected_400,
        "rss_mb_before": before,
        "rss_mb_after": after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--batches", type=int, default=15)
    parser.add_argument("--seconds", type=int, default=10)
    results = asyncio.run(run(parser.parse_args()))
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"{time.strftime('%Y-%m-%d')}-gateway.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
