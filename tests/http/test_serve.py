"""A real ``lead-archive serve`` process on 127.0.0.1: the seed's curl example works, and the
contract holds over the wire."""

from __future__ import annotations

import json
import re
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import secrets
from tests.support.dbtools import SyncDB, seed_leads
from tests.support.processes import cli_env, run_cli, serve


@pytest.fixture
def served(vdb: SyncDB) -> Iterator[tuple[str, str, SyncDB]]:
    seed_leads(vdb, 10)
    env = cli_env(vdb, LEAD_ARCHIVE_OFFICE_HOURS="none")
    created = run_cli("keys", "create", "demo", env=env)
    key = created.stdout.strip().splitlines()[-1]
    with serve(env) as served:
        yield served.base, key, vdb
    assert key not in served.stderr  # the key never reaches a log line


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


def test_bad_setting_stops_serve_with_one_line() -> None:
    env = cli_env(
        LEAD_ARCHIVE_DATABASE_URL="mysql://root@127.0.0.1/x", LEAD_ARCHIVE_OFFICE_HOURS="weekdays"
    )
    done = run_cli("serve", env=env, timeout=30)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "LEAD_ARCHIVE_OFFICE_HOURS" in done.stderr


def test_serve_with_tls(vdb: SyncDB, tmp_path: Path) -> None:
    cert, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key_file),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    seed_leads(vdb, 2)
    env = cli_env(vdb, LEAD_ARCHIVE_OFFICE_HOURS="none")
    key = secrets.register(run_cli("keys", "create", "tls", env=env).stdout.split()[-1])
    context = ssl.create_default_context(cafile=str(cert))
    with serve(
        env, "--ssl-certfile", str(cert), "--ssl-keyfile", str(key_file), tls=context
    ) as served:
        response = httpx.post(
            served.base + "/vicidial/leads/archive",
            verify=context,
            headers={"Authorization": f"Key={key}", "Content-Type": "application/json"},
            content=b'{"insert_leads": true, "update_leads": true, "delete_leads": true,'
            b' "lead_ids": [1, 2]}',
        )
        assert response.status_code == 200, response.text
        with pytest.raises(httpx.TransportError):
            httpx.get(served.base.replace("https", "http") + "/healthz", timeout=2)


def test_tls_flags_go_together() -> None:
    env = cli_env(LEAD_ARCHIVE_DATABASE_URL="mysql://root@127.0.0.1/x")
    done = run_cli("serve", "--ssl-certfile", "cert.pem", env=env, timeout=30)
    assert done.returncode == 2 and "go together" in done.stderr


def test_serve_refuses_an_unknown_call_time(vdb: SyncDB) -> None:
    done = run_cli("serve", env=cli_env(vdb, LEAD_ARCHIVE_CALL_TIME_ID="nope"), timeout=30)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "lead-archive: LEAD_ARCHIVE_CALL_TIME_ID: 'nope' is not in vicidial_call_times"
    )


def _client(source: str) -> httpx.Client:
    """A client whose connections come from ``source`` (any 127.x.y.z reaches 127.0.0.1)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=30)


ARCHIVE_ONE = (
    b'{"insert_leads": true, "update_leads": true, "delete_leads": false, "lead_ids": [1]}'
)


def test_regression_forwarded_headers_from_a_local_peer_are_not_believed(vdb: SyncDB) -> None:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default: 30 bad keys claiming 30
    addresses never saw a 429, and 10 bad keys claiming someone else's address locked that
    address out, valid key included."""
    seed_leads(vdb, 2)
    env = cli_env(vdb, LEAD_ARCHIVE_OFFICE_HOURS="none")
    key = secrets.register(run_cli("keys", "create", "crm", env=env).stdout.split()[-1])
    url = "/vicidial/leads/archive"
    json_type = {"Content-Type": "application/json"}
    bad = {**json_type, "Authorization": "Key=la_" + "G" * 43}
    with serve(env) as served, _client("127.0.0.1") as local, _client("127.0.0.3") as victim:
        statuses = [
            local.post(
                served.base + url,
                headers={
                    **bad,
                    "X-Forwarded-For": f"198.51.100.{i}",
                    "Forwarded": f"for=127.0.0.{i}",
                },
                content=b"{}",
            ).status_code
            for i in range(30)
        ]
        for _ in range(10):
            local.post(served.base + url, headers={**bad, "X-Forwarded-For": "127.0.0.3"})
        answer = victim.post(
            served.base + url,
            headers={**json_type, "Authorization": f"Key={key}"},
            content=ARCHIVE_ONE,
        )
    assert statuses == [401] * 10 + [429] * 20
    assert answer.status_code == 200, answer.text
    clients = {
        json.loads(line)["client"]
        for line in served.stderr.splitlines()
        if '"event": "request"' in line
    }
    assert clients == {"127.0.0.1", "127.0.0.3"}


def test_trusted_proxy_headers_name_the_client(vdb: SyncDB) -> None:
    seed_leads(vdb, 2)
    env = cli_env(vdb, LEAD_ARCHIVE_OFFICE_HOURS="none", LEAD_ARCHIVE_TRUSTED_PROXIES="127.0.0.1")
    key = secrets.register(run_cli("keys", "create", "crm", env=env).stdout.split()[-1])
    url = "/vicidial/leads/archive"
    good = {"Content-Type": "application/json", "Authorization": f"Key={key}"}
    bad = {**good, "Authorization": "Key=la_" + "H" * 43}
    with serve(env) as served, _client("127.0.0.1") as proxy:
        for _ in range(10):
            proxy.post(served.base + url, headers={**bad, "X-Forwarded-For": "198.51.100.1"})
        blocked = proxy.post(
            served.base + url, headers={**good, "X-Forwarded-For": "198.51.100.1"}, content=b"{}"
        )
        other = proxy.post(
            served.base + url,
            headers={**good, "Forwarded": 'for="[2001:db8::7]:4711"'},
            content=ARCHIVE_ONE,
        )
    assert blocked.status_code == 429
    assert other.status_code == 200, other.text
    assert vdb.execute("SELECT actor, client_address FROM lead_archive_audit") == [
        ("crm", "2001:db8::7")
    ]


def test_regression_the_throttle_holds_across_workers(vdb: SyncDB) -> None:
    """Each worker counted its own failures: with two workers an address had about twice the
    tries. The count is in the database now."""
    seed_leads(vdb, 2)
    env = cli_env(vdb, LEAD_ARCHIVE_OFFICE_HOURS="none")
    key = secrets.register(run_cli("keys", "create", "crm", env=env).stdout.split()[-1])
    url = "/vicidial/leads/archive"
    good = {"Content-Type": "application/json", "Authorization": f"Key={key}"}
    with serve(env, "--workers", "2") as served:
        # a new connection each time, so that both workers take requests
        failed = [
            httpx.post(
                served.base + url, headers={**good, "Authorization": "Key=la_" + "J" * 43}
            ).status_code
            for _ in range(10)
        ]
        after = [
            httpx.post(served.base + url, headers=good, content=ARCHIVE_ONE).status_code
            for _ in range(6)
        ]
    assert failed == [401] * 10
    assert after == [429] * 6
    pids = {
        json.loads(line)["pid"]
        for line in served.stderr.splitlines()
        if '"event": "request"' in line
    }
    assert len(pids) == 2, "both workers answered"


def _metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a /metrics text; 0 when it is absent."""
    for line in text.splitlines():
        sample, _, value = line.rpartition(" ")
        if not sample.startswith(name + "{") and sample != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', sample[len(name) :]))
        if found == labels:
            return float(value)
    return 0.0


@pytest.mark.parametrize("workers", [1, 2])
def test_metrics_are_the_sum_over_workers(vdb: SyncDB, workers: int, tmp_path: Path) -> None:
    """Every scrape, whichever worker answers it, counts every request once; the workers'
    metric files live in a private directory that serve removes when it stops."""
    sent = 40
    seed_leads(vdb, sent)
    env = cli_env(vdb, LEAD_ARCHIVE_OFFICE_HOURS="none", TMPDIR=str(tmp_path))
    key = secrets.register(run_cli("keys", "create", "metrics", env=env).stdout.split()[-1])
    with serve(env, "--workers", str(workers)) as served:
        assert [p.name[:21] for p in tmp_path.iterdir()] == ["lead-archive-metrics-"]
        for lead_id in range(1, sent + 1):  # a new connection each: the workers share them
            response = httpx.post(
                served.base + "/vicidial/leads/archive",
                headers={"Authorization": f"Key={key}"},
                json={
                    "insert_leads": True,
                    "update_leads": True,
                    "delete_leads": True,
                    "lead_ids": [lead_id],
                },
            )
            assert response.status_code == 200, response.text
        scrapes = [httpx.get(served.base + "/metrics").text for _ in range(10)]
    assert list(tmp_path.iterdir()) == []
    assert vdb.ids("vicidial_list_archive") == list(range(1, sent + 1))
    for text in scrapes:
        assert _metric(text, "lead_archive_requests_total", code="ok", route="archive") == sent
        assert (
            _metric(text, "lead_archive_leads_total", direction="archive", outcome="deleted")
            == sent
        )
        assert _metric(text, "lead_archive_call_seconds_count", direction="archive") == sent
