"""The least-privilege gateway account: EXECUTE on the four procedures of
``installer.GATEWAY_PROCEDURES``, nothing else."""

from __future__ import annotations

import uuid

import httpx
from asyncmy.errors import MySQLError

from gateway import installer
from gateway.dburl import DatabaseURL
from tests import secrets
from tests.apptools import Api
from tests.dbtools import SyncDB, seed_leads
from tests.processes import cli_env, run_cli, serve


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


def test_serve_logs_in_with_the_servers_default_authentication(vdb: SyncDB, admin: SyncDB) -> None:
    """``lead-archive serve`` with an EXECUTE-only account made with the server's default
    authentication: on MySQL 8+ caching_sha2_password, whose first login over plain TCP needs
    the server's RSA key (the cryptography package)."""
    seed_leads(vdb, 5)
    user = f"gw{uuid.uuid4().hex[:8]}"
    password = secrets.register(f"pw-{uuid.uuid4().hex}")
    admin.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
    try:
        plugin = admin.value(
            "SELECT plugin FROM mysql.user WHERE User = %s AND Host = '%%'", (user,)
        )
        if "MariaDB" not in str(admin.value("SELECT VERSION()")):
            assert plugin == "caching_sha2_password"
            admin.execute("FLUSH PRIVILEGES")  # no cached login: the full exchange
        root_env = cli_env(vdb)
        done = run_cli("db", "grant", "--user", f"{user}@%", "--apply", env=root_env)
        assert done.returncode == 0, done.stderr
        key = run_cli("keys", "create", "crm", env=root_env).stdout.strip().splitlines()[-1]
        url = vdb.url
        env = cli_env(
            LEAD_ARCHIVE_DATABASE_URL=(
                f"mysql://{user}:{password}@{url.host}:{url.port}/{url.database}"
            ),
            LEAD_ARCHIVE_OFFICE_HOURS="none",
        )
        with serve(env) as served:
            assert httpx.get(served.base + "/readyz").json() == {"status": "ready"}
            response = httpx.post(
                served.base + "/vicidial/leads/archive",
                headers={"Authorization": f"Key={key}", "Content-Type": "application/json"},
                content=b'{"insert_leads": true, "update_leads": true, "delete_leads": true,'
                b' "lead_ids": [1, 2]}',
            )
        assert response.status_code == 200, response.text
        assert (response.json()["insert_count"], response.json()["delete_count"]) == (2, 2)
        assert vdb.ids("vicidial_list_archive") == [1, 2]
        assert vdb.ids("vicidial_list") == [3, 4, 5]
    finally:
        admin.execute(f"DROP USER '{user}'@'%'")
