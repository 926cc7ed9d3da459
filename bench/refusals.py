"""Refusals per second of a blocked address: what a spray of bad keys costs the gateway.

    .venv/bin/python -m bench.refusals [--seconds 10] [--connections 8] [--workers 1]

Starts a private MariaDB (a small VICIdial-shaped database, the procedures, one key) and
``lead-archive serve`` the way the tests do, blocks 127.0.0.1 with ten bad keys (the
throttle's count is in the database), then sends bad keys for ``--seconds`` over keep-alive
connections and prints the 429 answers per second. The database is asked once, when the
address is first found blocked; the figure also reports how many procedure calls the server
saw during the measurement (``Com_call_procedure``), which should be 0.

The load comes from ``wrk`` when it is installed, else from a small asyncio client in this
file (which shares the machine's cores with the gateway and so measures less).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

import httpx

from gateway.db import connect
from gateway.dev.demo import build
from gateway.dev.mariadb_server import PrivateServer, free_port

PATH = "/vicidial/leads/archive"
BAD_KEY = "la_" + "x" * 43
BODY = b'{"insert_leads": true, "update_leads": true, "delete_leads": true, "lead_ids": [1]}'


def request_bytes(port: int) -> bytes:
    return (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Key={BAD_KEY}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY


async def asyncio_load(port: int, seconds: float, connections: int) -> tuple[int, int]:
    """(answers 429, other answers) in ``seconds``, one request in flight per connection."""
    request = request_bytes(port)
    counts = [0, 0]
    deadline = time.monotonic() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < deadline:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                assert length, head
                await reader.readexactly(int(length.group(1)))
                counts[0 if head.startswith(b"HTTP/1.1 429") else 1] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return counts[0], counts[1]


def wrk_load(port: int, seconds: int, connections: int) -> tuple[float, str]:
    script = (
        'wrk.method = "POST"\n'
        f'wrk.headers["Authorization"] = "Key={BAD_KEY}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = '{BODY.decode()}'\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "-s",
                f.name,
                f"http://127.0.0.1:{port}{PATH}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert rate and total and refused and refused.group(1) == total.group(1), out
    return float(rate.group(1)), f"{total.group(1)} requests, all refused"


async def procedure_calls(server: PrivateServer) -> int:
    conn = await connect(server.url("mysql"))
    try:
        async with conn.cursor() as cur:
            await cur.execute("SHOW GLOBAL STATUS LIKE 'Com_call_procedure'")
            row: Any = await cur.fetchone()
            return int(row[1])
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--tool", choices=["auto", "wrk", "asyncio"], default="auto", help="auto: wrk if installed"
    )
    args = parser.parse_args()
    use_wrk = args.tool == "wrk" or (args.tool == "auto" and shutil.which("wrk") is not None)

    with PrivateServer() as server:
        asyncio.run(build(server.url("asterisk"), leads=10))
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LEAD_ARCHIVE_")},
            "LEAD_ARCHIVE_DATABASE_URL": f"mysql://root@127.0.0.1:{server.port}/asterisk",
            "LEAD_ARCHIVE_OFFICE_HOURS": "none",
        }
        with tempfile.TemporaryFile() as log:
            gateway = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gateway.cli",
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                for _ in range(300):
                    try:
                        httpx.get(base + "/healthz", timeout=1)
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                headers = {"Authorization": f"Key={BAD_KEY}", "Content-Type": "application/json"}
                first = [
                    httpx.post(base + PATH, headers=headers, content=BODY).status_code
                    for _ in range(11 * args.workers)
                ]
                assert first[:10] == [401] * 10 and first[-1] == 429, first
                calls_before = asyncio.run(procedure_calls(server))
                if use_wrk:
                    rate, detail = wrk_load(port, args.seconds, args.connections)
                    tool = "wrk"
                else:
                    started = time.monotonic()
                    refused, other = asyncio.run(asyncio_load(port, args.seconds, args.connections))
                    rate = refused / (time.monotonic() - started)
                    detail = f"{refused} refused (429), {other} other answers"
                    tool = "asyncio client"
                calls = asyncio.run(procedure_calls(server)) - calls_before
            finally:
                gateway.terminate()
                gateway.wait(timeout=30)
    print(
        f"refusals/s: {rate:,.0f} ({tool}, {args.connections} connections, "
        f"{args.seconds} s, {args.workers} worker(s); {detail}; "
        f"procedure calls meanwhile: {calls})"
    )


if __name__ == "__main__":
    main()
