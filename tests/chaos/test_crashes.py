"""Crashes: the gateway or the database server killed (SIGKILL) in the middle of a bulk run.
The run resumes and no lead is lost. A dropped connection gives 503 and the pool recovers."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.admin import installer
from gateway.dev.mariadb_server import PrivateServer, free_port
from gateway.http import auth
from tests.support import mariadb_versions, secrets
from tests.support.apptools import Api
from tests.support.dbtools import SyncDB, build_vicidial
from tests.support.invariant import Ledger, check_no_loss
from tests.support.processes import cli_env, run_cli

LEADS = 6000


def start_bulk(env: dict[str, str], tmp: Path, *args: str) -> subprocess.Popen[str]:
    ids = tmp / "ids.txt"
    ids.write_text("\n".join(map(str, range(1, LEADS + 1))) + "\n")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "archive",
            "--batch-size",
            "100",
            "--ids-file",
            str(ids),
            "--state-file",
            str(tmp / "run.state"),
            *args,
        ],
        env=env,
        cwd=tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_batches(tmp: Path, batches: int, timeout: float = 60) -> None:
    state = tmp / "run.state"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state.exists() and len(state.read_text().splitlines()) > batches:
            return
        time.sleep(0.02)
    raise AssertionError("the bulk run made no progress")


def load(db: SyncDB) -> Ledger:
    db.run(installer.load_sample_leads(db.conn, 1, LEADS))
    return Ledger.snapshot(db, list(range(1, LEADS + 1)))


def test_gateway_killed_mid_run_then_restarted(vdb: SyncDB, tmp_path: Path) -> None:
    ledger = load(vdb)
    key = secrets.register(auth.new_key())
    vdb.call("lead_archive_key_create", "bulk", auth.key_hash(key))
    port = free_port()
    env = cli_env(vdb, LEAD_ARCHIVE_OFFICE_HOURS="none", LEAD_ARCHIVE_KEY=key)

    def gateway() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    server = gateway()
    time.sleep(1.5)
    run = start_bulk(env, tmp_path, "--url", f"http://127.0.0.1:{port}")
    try:
        wait_for_batches(tmp_path, 10)
        server.send_signal(signal.SIGKILL)
        server.wait()
        time.sleep(2)  # the run meets a dead gateway and backs off
        server = gateway()
        _out, err = run.communicate(timeout=240)
    finally:
        server.terminate()
        server.wait()
    assert run.returncode == 0, err  # a batch lost with the gateway finds its leads archived
    report = check_no_loss(vdb, ledger)
    assert report.losses == [] and report.archived == LEADS


def test_bulk_client_killed_then_rerun(vdb: SyncDB, tmp_path: Path) -> None:
    ledger = load(vdb)
    env = cli_env(vdb)
    run = start_bulk(env, tmp_path, "--direct")
    wait_for_batches(tmp_path, 5)
    run.send_signal(signal.SIGKILL)
    run.wait()
    again = start_bulk(env, tmp_path, "--direct")
    _out, err = again.communicate(timeout=240)
    assert again.returncode == 0, err
    report = check_no_loss(vdb, ledger)
    assert report.losses == [] and report.archived == LEADS


@pytest.fixture
def own_server() -> Iterator[PrivateServer]:
    binaries = mariadb_versions.cached(mariadb_versions.SYSTEM_VERSION)
    if binaries is None:
        pytest.skip("needs the local MariaDB binaries")
    server = PrivateServer().start()
    yield server
    server.stop()


def test_database_killed_mid_batch_then_restarted(
    own_server: PrivateServer, tmp_path: Path
) -> None:
    root = SyncDB(own_server.url("mysql"))
    root.execute("CREATE DATABASE asterisk CHARACTER SET utf8mb3 COLLATE utf8mb3_unicode_ci")
    root.close()
    db = SyncDB(own_server.url("asterisk"))
    build_vicidial(db)
    ledger = load(db)
    db.close()
    env = cli_env(LEAD_ARCHIVE_DATABASE_URL=f"mysql://root@127.0.0.1:{own_server.port}/asterisk")
    run = start_bulk(env, tmp_path, "--direct")
    wait_for_batches(tmp_path, 8)
    own_server.kill()
    time.sleep(1)
    own_server.restart()
    # what docs/reliability.md tells the operator: repair what the crash left, check, resume
    # (the run meanwhile retries: a crashed table answers database_unavailable)
    subprocess.run(
        [
            "mariadb-check",
            "-h127.0.0.1",
            f"-P{own_server.port}",
            "-uroot",
            "--auto-repair",
            "asterisk",
            "vicidial_list",
            "vicidial_list_archive",
        ],
        check=True,
        capture_output=True,
    )
    check = run_cli("db", "check", env=env)
    _out, err = run.communicate(timeout=240)
    assert run.returncode == 0, err
    db = SyncDB(own_server.url("asterisk"))
    try:
        report = check_no_loss(db, ledger)
    finally:
        db.close()
    assert report.losses == [] and report.archived == LEADS
    assert check.returncode == 0, check.stdout + check.stderr


def test_dropped_connections_give_503_then_the_pool_recovers(vdb: SyncDB, admin: SyncDB) -> None:
    vdb.run(installer.load_sample_leads(vdb.conn, 1, 100))
    api = Api(vdb)
    try:
        body = {"insert_leads": True, "update_leads": False, "delete_leads": False}
        assert api.post({**body, "lead_ids": [1]}).status_code == 200
        for (thread_id,) in admin.execute(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND ID != CONNECTION_ID()",
            (vdb.name,),
        ):
            if thread_id != vdb.value("SELECT CONNECTION_ID()"):
                admin.execute(f"KILL {int(thread_id)}")
        first = api.post({**body, "lead_ids": [2]})
        assert first.status_code in (200, 503), first.text
        if first.status_code == 503:
            assert first.json()["code"] == "database_unavailable"
        assert api.post({**body, "lead_ids": [3]}).status_code == 200
    finally:
        api.close()
