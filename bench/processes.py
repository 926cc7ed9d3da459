"""Processes the benchmarks start: gateways, the bulk client, pt-archiver, a direct CALL loop.

The database servers themselves are the datasets' (``bench/data.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gateway.db import call_procedure, connect
from gateway.dburl import DatabaseURL
from gateway.dev.mariadb_server import free_port

BATCH = 500
FLAGS = {"insert_leads": True, "update_leads": True, "delete_leads": True}


def database_url(port: int, user: str = "root", database: str = "asterisk") -> str:
    return f"mysql://{user}@127.0.0.1:{port}/{database}"


@dataclass
class Gateway:
    base: str
    pid: int


@contextmanager
def gateway(
    db_port: int, workers: int = 1, pool_size: int = 20, log: Path | None = None
) -> Iterator[Gateway]:
    """``lead-archive serve`` on a free port, office hours off; stopped on exit. Its log
    (JSON lines, no keys) goes to ``log`` when given."""
    env = {
        **os.environ,
        "LEAD_ARCHIVE_DATABASE_URL": database_url(db_port),
        "LEAD_ARCHIVE_OFFICE_HOURS": "none",
        "LEAD_ARCHIVE_POOL_SIZE": str(pool_size),
    }
    port = free_port()
    sink = log.open("ab") if log is not None else None
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=sink or subprocess.DEVNULL,
        stderr=sink or subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"the gateway exited at start ({process.returncode})")
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield Gateway(base, process.pid)
    finally:
        process.terminate()
        process.wait()
        if sink is not None:
            sink.close()


@dataclass
class ClientRun:
    leads: int
    seconds: float
    returncode: int
    stderr: str

    @property
    def rate(self) -> float:
        return self.leads / self.seconds


def client_rejects(extra: Sequence[str]) -> str | None:
    """The bulk client's own word on flags it does not know (argparse's message), or None.
    Nothing is connected to: the probe stops at argument parsing or at the first setting."""
    if not extra:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "ids"
        empty.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEAD_ARCHIVE_")}
        env["LEAD_ARCHIVE_DATABASE_URL"] = "mysql://nobody@127.0.0.1:1/none"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "gateway.cli",
                "archive",
                "--direct",
                *extra,
                "--ids-file",
                str(empty),
                "--state-file",
                str(Path(tmp) / "state"),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            cwd=tmp,
        )
    for line in done.stderr.splitlines():
        if "unrecognized arguments" in line or "error: argument" in line:
            return line.strip()
    return None


def bulk_client(
    ids: Sequence[int],
    *,
    url: str | None = None,
    key: str | None = None,
    db_port: int | None = None,
    extra: Sequence[str] = (),
) -> ClientRun:
    """``lead-archive archive`` over HTTP (``url`` and ``key``) or ``--direct`` (``db_port``),
    with default settings plus ``extra``; returns how long the whole process took."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ids"
        path.write_text("\n".join(map(str, ids)))
        env = dict(os.environ)
        if url is not None:
            assert key is not None
            env["LEAD_ARCHIVE_KEY"] = key
            target = ["--url", url]
        else:
            assert db_port is not None
            env["LEAD_ARCHIVE_DATABASE_URL"] = database_url(db_port)
            target = ["--direct"]
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "gateway.cli",
                "archive",
                *target,
                *extra,
                "--ids-file",
                str(path),
                "--state-file",
                str(Path(tmp) / "state"),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp,
        )
        seconds = time.perf_counter() - started
    return ClientRun(len(ids), seconds, done.returncode, done.stderr[-800:])


PT_FASTEST = ("--bulk-insert", "--limit", str(BATCH), "--commit-each")


def pt_archiver(db_port: int, where: str, *, leads: int, flags: Sequence[str] = ()) -> ClientRun:
    """pt-archiver from vicidial_list into vicidial_list_archive on the same server, with
    ``flags`` (:data:`PT_FASTEST`, or none for its defaults: one row per statement and per
    transaction).

    ``--charset utf8`` keeps its character-set check on: ``--no-check-charset`` reads the
    utf8mb3 columns over a latin1 connection and archives mojibake ('Ł' and 'ễ' become other
    bytes; 868 of 1,001 sample rows differed when tried). ``--bulk-insert`` loads each chunk
    with LOAD DATA LOCAL INFILE and implies ``--bulk-delete`` and ``--commit-each`` (which
    excludes ``--txn-size``)."""
    started = time.perf_counter()
    done = subprocess.run(
        [
            "pt-archiver",
            "--source",
            f"h=127.0.0.1,P={db_port},u=root,D=asterisk,t=vicidial_list,L=1",
            "--dest",
            "t=vicidial_list_archive",
            "--where",
            where,
            "--charset",
            "utf8",
            "--no-version-check",
            *flags,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    return ClientRun(leads, seconds, done.returncode, (done.stderr + done.stdout)[-800:])


async def call_loop(url: DatabaseURL, ids: Sequence[int], batch: int = BATCH) -> ClientRun:
    """A DBA's loop: ``lead_archive_move`` (what ``CALL archive_leads`` runs) batch after
    batch on one connection, no gateway, no client process."""
    conn = await connect(url)
    started = time.perf_counter()
    try:
        for i in range(0, len(ids), batch):
            await call_procedure(
                conn,
                "lead_archive_move",
                ["archive", "bench", "loop", json.dumps(list(ids[i : i + batch])), 1, 1, 1],
            )
    finally:
        conn.close()
    return ClientRun(len(ids), time.perf_counter() - started, 0, "")


def run_checked(run: ClientRun, what: str) -> ClientRun:
    if run.returncode != 0:
        raise RuntimeError(f"{what} exited {run.returncode}: {run.stderr}")
    return run


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
