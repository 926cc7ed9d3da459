"""A real ``lead-archive serve`` process on 127.0.0.1: the seed's curl example works, and the
contract holds over the wire."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from gateway.mariadb_server import free_port
from tests.dbtools import SyncDB, seed_leads


@pytest.fixture
def served(vdb: SyncDB) -> Iterator[tuple[str, str, SyncDB]]:
    seed_leads(vdb, 10)
    url = vdb.url
    env = {
        **os.environ,
        "LEAD_ARCHIVE_DATABASE_URL": f"mysql://{url.user}:{url.password}@{url.host}:{url.port}/{url.database}",
        "LEAD_ARCHIVE_OFFICE_HOURS": "none",
    }
    created = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "keys", "create", "demo"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, key, vdb
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
        assert key not in err.decode()  # the key never reaches a log line


def test_the_curl_example_against_a_real_server(served: tuple[str, str, SyncDB]) -> None:
    base, key, db = served
    response = httpx.post(
        base + "/vicidial/leads/archive",
        headers={"Authorization": f"Key={key}", "Content-Type": "application/json"},
        content=b'{"insert_leads": true, "update_leads": true, "delete_leads": true,'
        b' "lead_ids": [1, 2]}',
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["insert_count"], data["delete_count"]) == (2, 2)
    assert db.ids("vicidial_list_archive") == [1, 2]


def test_contract_rows_over_the_wire(served: tuple[str, str, SyncDB]) -> None:
    base, key, db = served
    before = db.checksums()
    auth = {"Authorization": f"Key={key}", "Content-Type": "application/json"}
    cases = [
        ({"Content-Type": "application/json"}, b"{}", 401, "invalid_api_key"),
        ({**auth, "Content-Type": "text/plain"}, b"{}", 415, "unsupported_media_type"),
        (auth, b"x" * 70_000, 413, "payload_too_large"),
        (auth, b"[", 400, "malformed_json"),
        (
            auth,
            b'{"insert_leads": true, "update_leads": true, "delete_leads": true,'
            b' "lead_ids": [1, 1]}',
            400,
            "duplicate_lead_ids",
        ),
    ]
    for headers, content, status, code in cases:
        response = httpx.post(base + "/vicidial/leads/archive", headers=headers, content=content)
        assert (response.status_code, response.json()["code"]) == (status, code)
        assert response.headers["content-type"] == "application/json"
    assert db.checksums() == before


def test_bad_setting_stops_serve_with_one_line(vdb: SyncDB) -> None:
    env = {
        **os.environ,
        "LEAD_ARCHIVE_DATABASE_URL": "mysql://root@127.0.0.1/x",
        "LEAD_ARCHIVE_OFFICE_HOURS": "weekdays",
    }
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "LEAD_ARCHIVE_OFFICE_HOURS" in done.stderr
