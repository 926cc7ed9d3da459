"""The throttle of failed keys across gateway hosts, and what it costs; the audit table of an
earlier version upgraded in place."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.admin import installer
from tests.support.apptools import CONTRACT_BODY, Api
from tests.support.dbtools import SyncDB, seed_leads

BAD_KEY = "la_" + "M" * 43


def body(ids: list[int]) -> dict[str, Any]:
    return {**CONTRACT_BODY, "lead_ids": ids}


def test_regression_the_throttle_holds_across_gateway_hosts(vdb: SyncDB) -> None:
    """Two gateways behind one balancer share the database: five failures on each are the
    ten that block the address on both (each used to count only its own)."""
    seed_leads(vdb, 2)
    first = Api(vdb)
    second = Api(vdb, add_key=False)
    try:
        for _ in range(5):
            assert first.post(body([1]), key=BAD_KEY).status_code == 401
            assert second.post(body([1]), key=BAD_KEY).status_code == 401
        for api in (first, second):
            refused = api.post(body([1]), key=first.key)
            assert (refused.status_code, refused.json()["code"]) == (429, "too_many_requests")
            assert 0 < int(refused.headers["retry-after"]) <= 60
        # another address is not concerned
        assert second.post(body([1]), key=first.key, peer="192.0.2.9").status_code == 200
    finally:
        first.close()
        second.close()
    rows = vdb.execute(
        "SELECT client, failures, blocked_until IS NOT NULL FROM lead_archive_auth_failures"
    )
    assert rows == [("127.0.0.1", 10, 1)]


def test_a_blocked_address_is_refused_without_a_database_round_trip(
    vdb: SyncDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = Api(vdb)
    calls = 0
    real = api.database.authenticate

    async def counted(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return await real(*args)

    monkeypatch.setattr(api.database, "authenticate", counted)
    try:
        statuses = [api.post(body([1]), key=BAD_KEY).status_code for _ in range(200)]
    finally:
        api.close()
    assert statuses == [401] * 10 + [429] * 190
    assert calls == 11  # ten failures, and the answer "blocked" once


def test_a_success_forgets_the_failures_of_its_address(vdb: SyncDB) -> None:
    seed_leads(vdb, 1)
    api = Api(vdb)
    try:
        for _ in range(9):
            assert api.post(body([1]), key=BAD_KEY).status_code == 401
        assert api.post({**body([1]), "delete_leads": False}).status_code == 200
        for _ in range(9):
            assert api.post(body([1]), key=BAD_KEY).status_code == 401
        assert api.post({**body([1]), "delete_leads": False}).status_code == 200
    finally:
        api.close()


def test_failures_of_a_window_that_has_ended_count_no_more(vdb: SyncDB) -> None:
    api = Api(vdb)
    try:
        for _ in range(9):
            api.post(body([1]), key=BAD_KEY)
        # the window started more than 60 s ago (and another address's too)
        vdb.execute(
            "INSERT INTO lead_archive_auth_failures (client, window_start, failures)"
            " VALUES ('192.0.2.1', UTC_TIMESTAMP(3) - INTERVAL 2 HOUR, 3)"
        )
        vdb.execute(
            "UPDATE lead_archive_auth_failures"
            " SET window_start = window_start - INTERVAL 61 SECOND WHERE client = '127.0.0.1'"
        )
        assert api.post(body([1]), key=BAD_KEY).status_code == 401
        assert api.post(body([1]), key=BAD_KEY).status_code == 401
    finally:
        api.close()
    # a new window of two failures; the stale row of the other address is gone
    assert vdb.execute("SELECT client, failures FROM lead_archive_auth_failures") == [
        ("127.0.0.1", 2)
    ]


def test_an_audit_table_of_an_earlier_version_gets_its_client_address(vdb: SyncDB) -> None:
    vdb.execute("ALTER TABLE lead_archive_audit DROP COLUMN client_address")
    assert vdb.run(installer.install(vdb.conn)) == [
        "added column client_address to table lead_archive_audit"
    ]
    assert "client_address" in vdb.columns("lead_archive_audit")
    assert vdb.run(installer.install(vdb.conn)) == []
    assert vdb.run(installer.check(vdb.conn)) == []


def test_the_gateway_move_returns_what_the_move_returns(vdb: SyncDB) -> None:
    """lead_archive_gateway_move: the same result sets and the same errors as
    lead_archive_move_measured (lead_archive_move, then its lock_ms), with the actor found from
    the key and the client recorded."""
    from asyncmy.errors import MySQLError

    from gateway.http import auth

    seed_leads(vdb, 4)
    key = auth.new_key()
    vdb.call("lead_archive_key_create", "crm", auth.key_hash(key))
    direct = vdb.results(
        "CALL lead_archive_move_measured('archive', 'dba', 'r1', '[1, 2]', TRUE, TRUE, TRUE)"
    )
    through = vdb.results(
        "CALL lead_archive_gateway_move('archive', %s, 'r2', '192.0.2.5', '[3, 4]', TRUE, TRUE,"
        " TRUE, TRUE)",
        (auth.key_hash(key),),
    )
    # the leads, then one row and column: the milliseconds each call measured
    assert [[row[1:] for row in rows] for rows in direct[:-1]] == [
        [row[1:] for row in rows] for rows in through[:-1]
    ]
    assert (
        [len(direct[-1]), len(direct[-1][0])] == [len(through[-1]), len(through[-1][0])] == [1, 1]
    )
    assert [row[0] for row in through[-2]] == [3, 4]
    errors = []
    for sql, args in (
        (
            "CALL lead_archive_move_measured('archive', 'dba', 'r3', '[7, 8]', TRUE, TRUE, TRUE)",
            None,
        ),
        (
            "CALL lead_archive_gateway_move('archive', %s, 'r4', 'x', '[7, 8]', TRUE, TRUE, TRUE,"
            " TRUE)",
            (auth.key_hash(key),),
        ),
    ):
        with pytest.raises(MySQLError) as info:
            vdb.results(sql, args)
        errors.append((info.value.args, getattr(info.value, "result_sets", None)))
    assert errors[0] == errors[1]
    assert str(errors[0][0][1]).startswith("leads_not_found:")
    assert vdb.execute(
        "SELECT actor, request_id, client_address FROM lead_archive_audit ORDER BY audit_id"
    ) == [("dba", "r1", None), ("crm", "r2", "192.0.2.5")]
