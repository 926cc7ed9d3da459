"""Running the real ``lead-archive`` command line from tests."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from gateway.dev.mariadb_server import free_port
from tests.support import secrets
from tests.support.dbtools import SyncDB


def cli_env(db: SyncDB | None = None, **extra: str) -> dict[str, str]:
    """The environment with no LEAD_ARCHIVE_* of the caller's, the test database's URL, and
    ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAD_ARCHIVE_")}
    if db is not None:
        url = db.url
        env["LEAD_ARCHIVE_DATABASE_URL"] = (
            f"mysql://{url.user}:{url.password}@{url.host}:{url.port}/{url.database}"
        )
    env.update(extra)
    return env


def run_cli(
    *args: str,
    env: dict[str, str],
    cwd: Path | None = None,
    stdin: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Served:
    base: str
    process: subprocess.Popen[bytes]
    stderr: str = ""


@contextmanager
def serve(
    env: dict[str, str],
    *args: str,
    tls: ssl.SSLContext | None = None,
    command: Sequence[str] = (sys.executable, "-m", "gateway.cli"),
    cwd: Path | None = None,
) -> Iterator[Served]:
    """``lead-archive serve`` on a free port, ready; its log is in ``.stderr`` afterwards.
    The log goes to a file: a pipe nobody reads would fill up and stall the server. With
    ``tls`` (the client's context) the server is reached over https; ``command`` is the
    ``lead-archive`` to run (an installed one, say)."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [*command, "serve", "--port", str(port), *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        scheme = "https" if tls else "http"
        served = Served(f"{scheme}://127.0.0.1:{port}", process)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    httpx.get(served.base + "/healthz", timeout=1, verify=tls or True)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield served
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.seek(0)
            served.stderr = log.read().decode(errors="replace")
            secrets.assert_clean(served.stderr.splitlines(), "lead-archive serve")
