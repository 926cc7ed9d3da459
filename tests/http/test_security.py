"""Keys stored hashed only, found by their hash, revoked at once on every worker; no
secret in any log line (scanned for the whole run by conftest.log_scan)."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from tests.support import secrets
from tests.support.dbtools import SyncDB, seed_leads
from tests.support.processes import cli_env, run_cli, serve


def test_only_the_hash_of_a_key_is_stored(vdb: SyncDB) -> None:
    done = run_cli("keys", "create", "crm", env=cli_env(vdb))
    assert done.returncode == 0, done.stderr
    key = secrets.register(done.stdout.strip().splitlines()[-1])
    assert key.startswith("la_") and len(key) == 46
    rows = vdb.execute("SELECT * FROM lead_archive_api_users")
    assert len(rows) == 1
    stored = [bytes(v) if isinstance(v, bytes | bytearray) else str(v).encode() for v in rows[0]]
    assert hashlib.sha256(key.encode()).digest() in stored
    assert not any(key.encode() in value for value in stored)
    listing = run_cli("keys", "list", env=cli_env(vdb)).stdout
    assert "crm" in listing and key not in listing


def test_a_second_key_for_an_active_user_is_refused(vdb: SyncDB) -> None:
    assert run_cli("keys", "create", "crm", env=cli_env(vdb)).returncode == 0
    again = run_cli("keys", "create", "crm", env=cli_env(vdb))
    assert again.returncode == 2 and "revoke it first" in again.stderr


def test_a_revoked_key_fails_at_once_on_every_worker(vdb: SyncDB) -> None:
    seed_leads(vdb, 1)
    env = cli_env(vdb, LEAD_ARCHIVE_OFFICE_HOURS="none")
    key = secrets.register(run_cli("keys", "create", "crm", env=env).stdout.split()[-1])
    headers = {"Authorization": f"Key={key}", "Content-Type": "application/json"}
    body = b'{"insert_leads": true, "update_leads": false, "delete_leads": false, "lead_ids": [1]}'
    url = "/vicidial/leads/archive"
    with serve(env, "--workers", "2") as served:
        # a new connection each time, so that both workers take requests
        assert all(
            httpx.post(served.base + url, headers=headers, content=body).status_code == 200
            for _ in range(30)
        )
        assert run_cli("keys", "revoke", "crm", env=env).returncode == 0
        # fewer than the 10 failures a worker allows before it throttles the address
        statuses = [
            httpx.post(served.base + url, headers=headers, content=body).status_code
            for _ in range(9)
        ]
    assert statuses == [401] * 9
    pids = {
        line.split('"pid": ')[1].split(",")[0]
        for line in served.stderr.splitlines()
        if '"event": "request"' in line
    }
    assert len(pids) == 2, "both workers answered"


def test_log_scan_finds_a_planted_secret() -> None:
    secret = secrets.register("la_planted_secret_for_the_scanner")
    with pytest.raises(AssertionError):
        secrets.assert_clean([f'{{"event": "request", "key": "{secret}"}}'], "test")
    secrets.SECRETS.discard(secret)
