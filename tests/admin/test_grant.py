"""The least-privilege gateway account: EXECUTE on the procedures the gateway calls, nothing
else; it cannot write another user's name into the audit, and /readyz knows when it has lost
a privilege it needs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from asyncmy.errors import MySQLError

from gateway.admin import installer
from gateway.dburl import DatabaseURL
from tests.support import secrets
from tests.support.apptools import Api
from tests.support.dbtools import SyncDB, seed_leads
from tests.support.processes import cli_env, run_cli, serve


def test_statements_name_only_procedures() -> None:
    statements = installer.grant_statements("asterisk", "gw@10.0.0.%")
    assert statements == [
        f"GRANT EXECUTE ON PROCEDURE `asterisk`.`{p}` TO 'gw'@'10.0.0.%'"
        for p in (
            "lead_archive_gateway_move",
            "lead_archive_authenticate",
            "lead_archive_check",
            "lead_archive_call_time",
            "lead_archive_gateway_lookup",
            "lead_archive_gateway_refusal",
            "archive_leads_plan",
            "dearchive_leads_plan",
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


@pytest.fixture
def gateway_account(vdb: SyncDB, admin: SyncDB) -> Iterator[tuple[str, DatabaseURL]]:
    """An account made as docs/deployment.md says: CREATE USER, then db grant --apply."""
    user = f"gw{uuid.uuid4().hex[:8]}"
    password = secrets.register(f"pw-{uuid.uuid4().hex}")
    admin.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
    try:
        done = run_cli("db", "grant", "--user", f"{user}@%", "--apply", env=cli_env(vdb))
        assert done.returncode == 0, done.stderr
        url = vdb.url
        yield user, DatabaseURL(user, password, url.host, url.port, url.database)
    finally:
        admin.execute(f"DROP USER '{user}'@'%'")


def test_regression_the_gateway_account_cannot_forge_an_actor(
    vdb: SyncDB, admin: SyncDB, gateway_account: tuple[str, DatabaseURL]
) -> None:
    """With EXECUTE on lead_archive_move, whoever held the gateway's credentials could write
    any actor and request id into the audit. The account now calls
    lead_archive_gateway_move, which finds the API user from the key's hash itself."""
    user, url = gateway_account
    seed_leads(vdb, 4)
    limited = SyncDB(url)
    try:
        for sql in (
            "CALL lead_archive_move('archive', 'ceo', 'forged', '[1]', TRUE, TRUE, TRUE)",
            "CALL archive_leads('[1]', TRUE, TRUE, TRUE)",
        ):
            try:
                limited.execute(sql)
            except MySQLError as exc:
                assert exc.args[0] == 1370, exc.args  # execute command denied
                continue
            raise AssertionError(f"the gateway account could run {sql}")
        # a key hash nobody holds: refused before anything is written
        try:
            limited.call(
                "lead_archive_gateway_move", "archive", b"\0" * 32, "r1", "x", "[1]", 1, 1, 1, 1
            )
        except MySQLError as exc:
            assert str(exc.args[1]).startswith("invalid_api_key:")
        else:
            raise AssertionError("an unknown key hash was accepted")
        assert vdb.audit_count() == 0 and 1 in vdb.ids("vicidial_list")
    finally:
        limited.close()
    api = Api(vdb)
    api.database.url = url
    try:
        response = api.post(
            {"insert_leads": True, "update_leads": True, "delete_leads": True, "lead_ids": [1]},
            headers={"x-request-id": "req-7"},
        )
        assert response.status_code == 200, response.text
    finally:
        api.close()
    rows = vdb.execute(
        "SELECT actor, db_account, request_id, client_address FROM lead_archive_audit"
    )
    # SESSION_USER() names the client's host, or (MariaDB 11.8) the account's host pattern
    assert len(rows) == 1 and rows[0][1] in (f"{user}@{url.host}", f"{user}@%"), rows
    assert (rows[0][0], rows[0][2], rows[0][3]) == ("crm", "req-7", "127.0.0.1")

    # an account granted by an earlier version loses lead_archive_move at the next grant
    admin.execute(f"GRANT EXECUTE ON PROCEDURE `{vdb.name}`.`lead_archive_move` TO '{user}'@'%'")
    done = run_cli("db", "grant", "--user", f"{user}@%", "--apply", env=cli_env(vdb))
    assert done.returncode == 0 and "REVOKE EXECUTE" in done.stdout, done.stdout
    printed = run_cli("db", "grant", "--user", f"{user}@%", env=cli_env(vdb)).stdout
    assert "-- an account granted by an earlier version: REVOKE EXECUTE" in printed
    limited = SyncDB(url)
    try:
        limited.execute("CALL lead_archive_move('archive', 'ceo', 'x', '[2]', TRUE, TRUE, TRUE)")
    except MySQLError as exc:
        assert exc.args[0] == 1370
    else:
        raise AssertionError("lead_archive_move is still allowed")
    finally:
        limited.close()


def test_regression_readyz_knows_when_the_account_lost_a_privilege(
    vdb: SyncDB, admin: SyncDB, gateway_account: tuple[str, DatabaseURL]
) -> None:
    """After a REVOKE, /readyz said ready while every request failed, and a bad key got 500."""
    user, url = gateway_account
    seed_leads(vdb, 2)
    schema = vdb.name
    body = {"insert_leads": True, "update_leads": False, "delete_leads": False, "lead_ids": [1]}
    api = Api(vdb)
    api.database.url = url
    try:
        assert api.request("GET", "/readyz").json() == {"status": "ready"}

        admin.execute(
            f"REVOKE EXECUTE ON PROCEDURE `{schema}`.`lead_archive_authenticate` FROM '{user}'@'%'"
        )
        ready = api.request("GET", "/readyz")
        assert (ready.status_code, ready.json()["code"]) == (503, "not_ready")
        assert "lead_archive" not in ready.json()["reason"]
        unknown = api.post(body, key="la_" + "K" * 43)  # the database cannot say: 503
        assert (unknown.status_code, unknown.json()["code"]) == (503, "database_unavailable")
        assert int(unknown.headers["retry-after"]) > 0
        malformed = api.post(body, key="not-a-key")  # refused whatever the database says
        assert (malformed.status_code, malformed.json()["code"]) == (401, "invalid_api_key")

        admin.execute(
            f"GRANT EXECUTE ON PROCEDURE `{schema}`.`lead_archive_authenticate` TO '{user}'@'%'"
        )
        admin.execute(
            f"REVOKE EXECUTE ON PROCEDURE `{schema}`.`lead_archive_gateway_move` FROM '{user}'@'%'"
        )
        assert api.request("GET", "/readyz").status_code == 503
        assert api.post(body, key="la_" + "K" * 43).status_code == 401
        moved = api.post(body)
        assert (moved.status_code, moved.json()["code"]) == (503, "database_unavailable")

        admin.execute(
            f"GRANT EXECUTE ON PROCEDURE `{schema}`.`lead_archive_gateway_move` TO '{user}'@'%'"
        )
        assert api.request("GET", "/readyz").json() == {"status": "ready"}
        assert api.post(body).status_code == 200
    finally:
        api.close()


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
