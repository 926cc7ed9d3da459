"""The least-privilege gateway account: EXECUTE on the four procedures of
``installer.GATEWAY_PROCEDURES``, nothing else."""

from __future__ import annotations

import uuid

from asyncmy.errors import MySQLError

from gateway import installer
from gateway.dburl import DatabaseURL
from tests import secrets
from tests.apptools import Api
from tests.dbtools import SyncDB, seed_leads
from tests.processes import cli_env, run_cli


def test_statements_name_only_procedures() -> None:
    statements = installer.grant_statements("asterisk", "gw@10.0.0.%")
    assert statements == [
        f"GRANT EXECUTE ON PROCEDURE `asterisk`.`{p}` TO 'gw'@'10.0.0.%'"
        for p in (
            "lead_archive_move",
            "lead_archive_authenticate",
            "lead_archive_check",
            "lead_archive_call_time",
        )
    ]


def test_bad_account_names_are_refused() -> None:
    for bad in ("gw'@x", "gw@h;DROP", "", "a b@c"):
        try:
            installer.grant_statements("asterisk", bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_gateway_runs_with_an_execute_only_account(vdb: SyncDB, admin: SyncDB) -> None:
    seed_leads(vdb, 5)
    user = f"gw{uuid.uuid4().hex[:8]}"
    password = secrets.register(f"pw-{uuid.uuid4().hex}")
    admin.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
    try:
        url = vdb.url
        done = run_cli(
            "db", "grant", "--user", f"{user}@%", "--apply", env=cli_env(vdb), timeout=60
        )
        assert done.returncode == 0, done.stderr
        limited_url = DatabaseURL(user, password, url.host, url.port, url.database)
        limited = SyncDB(limited_url)
        try:
            for sql in (
                "SELECT * FROM vicidial_list LIMIT 1",
                "DELETE FROM vicidial_list",
                "SELECT * FROM lead_archive_api_users",
                "CALL lead_archive_key_create('x', REPEAT('a', 32))",
            ):
                try:
                    limited.execute(sql)
                except MySQLError:
                    continue
                raise AssertionError(f"the gateway account could run {sql}")
        finally:
            limited.close()
        api = Api(vdb)
        api.database.url = limited_url
        try:
            assert api.request("GET", "/readyz").json() == {"status": "ready"}
            response = api.post(
                {
                    "insert_leads": True,
                    "update_leads": True,
                    "delete_leads": True,
                    "lead_ids": [1, 2],
                }
            )
            assert response.status_code == 200, response.text
            assert response.json()["delete_count"] == 2
        finally:
            api.close()
    finally:
        admin.execute(f"DROP USER '{user}'@'%'")
