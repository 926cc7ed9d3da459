"""archive_leads / lead_archive_move against a real MariaDB with VICIdial's schema shape.

Every data-loss scenario found gets a test named ``test_regression_…``. Each test that
refuses a call checks that nothing changed (checksums of both lead tables, the audit).
"""

from __future__ import annotations

import random

import pytest
from asyncmy.errors import MySQLError

from tests.support import secrets
from tests.support.dbtools import (
    LOOSE,
    MYSQL_DEFAULT,
    STRICT,
    SyncDB,
    insert_leads,
    make_lead,
    refused,
    seed_leads,
)


def test_archive_moves_leads_byte_for_byte(vdb_any: SyncDB) -> None:
    db = vdb_any
    ids = seed_leads(db, 60)
    before = {i: db.row("vicidial_list", i) for i in ids}
    rows = db.archive(ids)
    assert [r[0] for r in rows] == ids
    assert all(r[1:] == (1, 0, 1, None) for r in rows)
    assert db.ids("vicidial_list") == []
    assert {i: db.row("vicidial_list_archive", i) for i in ids} == before


def test_result_rows_follow_request_order(vdb: SyncDB) -> None:
    seed_leads(vdb, 5)
    rows = vdb.archive([4, 2, 5], True, False, False)
    assert [r[0] for r in rows] == [4, 2, 5]
    assert [tuple(r[1:]) for r in rows] == [(1, 0, 0, None)] * 3


def test_insert_skips_leads_already_archived(vdb: SyncDB) -> None:
    seed_leads(vdb, 3)
    vdb.archive([1, 2, 3], True, False, False)
    vdb.execute("UPDATE vicidial_list SET first_name = 'Changed' WHERE lead_id = 2")
    archived = vdb.row("vicidial_list_archive", 2)
    rows = vdb.archive([1, 2, 3], True, False, False)
    assert [tuple(r[1:]) for r in rows] == [(0, 0, 0, None)] * 3
    assert vdb.row("vicidial_list_archive", 2) == archived


def test_update_rewrites_only_rows_that_differ(vdb_any: SyncDB) -> None:
    db = vdb_any
    seed_leads(db, 4)
    db.archive([1, 2, 3, 4], True, False, False)
    db.execute("UPDATE vicidial_list SET comments = 'new note' WHERE lead_id IN (2, 4)")
    rows = db.archive([1, 2, 3, 4], False, True, False)
    assert [r[2] for r in rows] == [0, 1, 0, 1]
    for i in (1, 2, 3, 4):
        assert db.row("vicidial_list_archive", i) == db.row("vicidial_list", i)


def test_regression_update_keeps_modify_date(vdb: SyncDB) -> None:
    """modify_date is ON UPDATE CURRENT_TIMESTAMP: an update that does not assign it rewrites
    it, and the compare-before-delete would then never match."""
    seed_leads(vdb, 1)
    vdb.execute("UPDATE vicidial_list SET modify_date = '2020-02-02 02:02:02' WHERE lead_id = 1")
    vdb.archive([1], True, False, False)
    vdb.execute(
        "UPDATE vicidial_list SET status = 'SALE', modify_date = '2021-03-03 03:03:03'"
        " WHERE lead_id = 1"
    )
    rows = vdb.archive([1], False, True, True)
    assert tuple(rows[0][1:]) == (0, 1, 1, None)
    assert str(vdb.value("SELECT modify_date FROM vicidial_list_archive")) == "2021-03-03 03:03:03"


@pytest.mark.parametrize(
    ("column", "archived", "current"),
    [
        ("last_name", "Smith", "SMITH"),
        ("last_name", "Lee", "Lee "),
        ("first_name", "Jose", "José"),
        ("comments", "", None),
        ("comments", None, ""),
        ("email", "a@example.com", "A@example.com"),
        ("gmt_offset_now", "-5.00", "-4.00"),
        ("called_since_last_reset", "Y", "D"),
        # (another entry_date is another lead: id_conflict, test_regressions_sql.py)
        ("last_local_call_time", "2020-01-01 00:00:00", "2020-01-01 00:00:01"),
    ],
)
def test_regression_collation_equal_is_not_equal(
    vdb_any: SyncDB, column: str, archived: object, current: object
) -> None:
    """utf8mb3_unicode_ci says 'Smith' = 'SMITH' and 'a' = 'a ': a delete that trusted the
    collation would drop the newer value. Only a byte-identical archive row allows a delete."""
    db = vdb_any
    seed_leads(db, 1)
    db.execute(f"UPDATE vicidial_list SET `{column}` = %s WHERE lead_id = 1", (archived,))
    db.archive([1], True, False, False)
    db.execute(f"UPDATE vicidial_list SET `{column}` = %s WHERE lead_id = 1", (current,))
    kept = db.row("vicidial_list", 1)
    rows = db.archive([1], False, False, True)
    assert tuple(rows[0][1:]) == (0, 0, 0, "mismatch")
    assert db.row("vicidial_list", 1) == kept


def test_regression_lead_updated_between_copy_and_delete_is_kept(vdb_any: SyncDB) -> None:
    """VICIdial's ADMIN_archive_leads.pl copies, then deletes with the same WHERE: a lead a
    dialer updated in between is deleted and only its stale copy survives."""
    db = vdb_any
    seed_leads(db, 3)
    db.archive([1, 2, 3], True, True, False)
    db.execute(
        "UPDATE vicidial_list SET status = 'SALE', called_count = called_count + 1"
        " WHERE lead_id = 2"
    )
    latest = db.row("vicidial_list", 2)
    rows = db.archive([1, 2, 3], False, False, True)
    assert [(r[0], r[3], r[4]) for r in rows] == [(1, 1, None), (2, 0, "mismatch"), (3, 1, None)]
    assert db.row("vicidial_list", 2) == latest
    rows = db.archive([2], True, True, True)
    assert tuple(rows[0][1:]) == (0, 1, 1, None)
    assert db.row("vicidial_list_archive", 2) == latest


def test_delete_without_archive_copy_is_kept(vdb: SyncDB) -> None:
    seed_leads(vdb, 2)
    rows = vdb.archive([1, 2], False, False, True)
    assert [tuple(r[1:]) for r in rows] == [(0, 0, 0, "not_archived")] * 2
    assert vdb.ids("vicidial_list") == [1, 2]


def test_delete_without_update_keeps_a_stale_copy(vdb: SyncDB) -> None:
    seed_leads(vdb, 1)
    vdb.archive([1], True, False, False)
    vdb.execute("UPDATE vicidial_list SET city = 'Elsewhere' WHERE lead_id = 1")
    rows = vdb.archive([1], True, False, True)
    assert tuple(rows[0][1:]) == (0, 0, 0, "mismatch")


@pytest.mark.parametrize(
    "busy_sql",
    [
        "INSERT INTO vicidial_hopper (lead_id, list_id) VALUES (2, 101)",
        "INSERT INTO vicidial_auto_calls (server_ip, lead_id) VALUES ('10.0.0.1', 2)",
        "INSERT INTO vicidial_live_agents (server_ip, lead_id) VALUES ('10.0.0.1', 2)",
        "INSERT INTO vicidial_callbacks (lead_id, status) VALUES (2, 'ACTIVE')",
        "INSERT INTO vicidial_callbacks (lead_id, status) VALUES (2, 'LIVE')",
    ],
)
def test_busy_leads_are_never_deleted(vdb_any: SyncDB, busy_sql: str) -> None:
    db = vdb_any
    seed_leads(db, 3)
    db.execute(busy_sql)
    rows = db.archive([1, 2, 3])
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
        (1, 1, 1, None),
        (2, 1, 0, "busy"),
        (3, 1, 1, None),
    ]
    assert db.ids("vicidial_list") == [2]


def test_inactive_callback_does_not_make_a_lead_busy(vdb: SyncDB) -> None:
    seed_leads(vdb, 1)
    vdb.execute("INSERT INTO vicidial_callbacks (lead_id, status) VALUES (1, 'INACTIVE')")
    assert tuple(vdb.archive([1])[0][1:]) == (1, 0, 1, None)


def test_missing_busy_tables_are_skipped(vdb: SyncDB) -> None:
    seed_leads(vdb, 1)
    for table in (
        "vicidial_hopper",
        "vicidial_auto_calls",
        "vicidial_live_agents",
        "vicidial_callbacks",
    ):
        vdb.execute(f"DROP TABLE {table}")
    assert tuple(vdb.archive([1])[0][1:]) == (1, 0, 1, None)


def test_rerun_after_success_reports_leads_not_found(vdb: SyncDB) -> None:
    seed_leads(vdb, 2)
    vdb.archive([1, 2])
    details = refused(vdb, "CALL archive_leads('[1,2]', TRUE, TRUE, TRUE)", (), "leads_not_found")
    assert [(int(r[0]), int(r[1])) for r in details] == [(1, 1), (2, 1)]


def test_partial_rerun_is_safe(vdb_any: SyncDB) -> None:
    """MyISAM has no rollback: a call cut short after its insert is simply called again."""
    db = vdb_any
    seed_leads(db, 4)
    db.archive([1, 2, 3, 4], True, False, False)  # as if the call had died after step 4
    rows = db.archive([1, 2, 3, 4])
    assert [tuple(r[1:]) for r in rows] == [(0, 0, 1, None)] * 4
    assert db.ids("vicidial_list_archive") == [1, 2, 3, 4]


BAD_LISTS = [
    (None, "missing_lead_ids"),
    ("[]", "missing_lead_ids"),
    ("null", "missing_lead_ids"),
    ("{}", "invalid_lead_ids"),
    ("5", "invalid_lead_ids"),
    ('"1,2"', "invalid_lead_ids"),
    ("not json", "invalid_lead_ids"),
    ('[1, "2"]', "invalid_lead_ids"),
    ("[1, 2.0]", "invalid_lead_ids"),
    ("[1.5]", "invalid_lead_ids"),
    ("[1e2]", "invalid_lead_ids"),
    ("[true]", "invalid_lead_ids"),
    ("[null]", "invalid_lead_ids"),
    ("[-1]", "invalid_lead_ids"),
    ("[0]", "invalid_lead_ids"),
    ("[4294967296]", "invalid_lead_ids"),
    ("[99999999999999999999999]", "invalid_lead_ids"),
    ("[[1]]", "invalid_lead_ids"),
    ("[1,]", "invalid_lead_ids"),
    ("[" + ",".join(map(str, range(1, 502))) + "]", "too_many_lead_ids"),
    ("[" + ",".join(map(str, range(1, 502))) + ",0]", "invalid_lead_ids"),
    ("[1, 2, 1]", "duplicate_lead_ids"),
    ("[1, 999]", "leads_not_found"),
]


@pytest.mark.parametrize(("lead_ids", "code"), BAD_LISTS)
def test_bad_lists_are_refused_before_any_write(
    vdb: SyncDB, lead_ids: str | None, code: str
) -> None:
    seed_leads(vdb, 3)
    vdb.archive([3], True, False, False)
    refused(vdb, "CALL archive_leads(%s, TRUE, TRUE, TRUE)", (lead_ids,), code)


def test_regression_id_above_int_unsigned_is_not_clamped(vdb: SyncDB) -> None:
    """INT UNSIGNED clamps 4294967296 to 4294967295 silently: that lead must not be touched."""
    insert_leads(vdb, [make_lead(4294967295, random.Random(1))])
    refused(vdb, "CALL archive_leads('[4294967296]', TRUE, TRUE, TRUE)", (), "invalid_lead_ids")
    assert tuple(vdb.archive([4294967295])[0][1:]) == (1, 0, 1, None)


def test_regression_duplicate_id_does_not_stop_an_insert_half_way(vdb: SyncDB) -> None:
    """A duplicate id inside one multi-row INSERT stops it half way on MyISAM."""
    seed_leads(vdb, 3)
    refused(vdb, "CALL archive_leads('[1,2,3,2]', TRUE, TRUE, TRUE)", (), "duplicate_lead_ids")
    assert vdb.ids("vicidial_list_archive") == []


def test_leads_not_found_lists_missing_and_already_archived(vdb: SyncDB) -> None:
    seed_leads(vdb, 3)
    vdb.archive([3])
    details = refused(vdb, "CALL archive_leads('[1,3,7]', TRUE, TRUE, TRUE)", (), "leads_not_found")
    assert [(int(r[0]), int(r[1])) for r in details] == [(3, 1), (7, 0)]


def test_extra_leading_and_inner_whitespace_is_accepted(vdb: SyncDB) -> None:
    seed_leads(vdb, 2)
    rows = vdb.archive(" [ 1 ,\n\t2 ] ", True, False, False)
    assert [r[0] for r in rows] == [1, 2]


@pytest.mark.parametrize("sql_mode", [STRICT, LOOSE, MYSQL_DEFAULT])
def test_same_result_in_strict_and_non_strict_sessions(vdb_any: SyncDB, sql_mode: str) -> None:
    db = vdb_any
    db.execute(f"SET SESSION sql_mode = '{sql_mode}'")
    seed_leads(db, 10)
    rows = db.archive(list(range(1, 11)))
    assert sum(r[3] for r in rows) == 10


def test_regression_zero_dates_from_a_non_strict_server_are_archived(vdb: SyncDB) -> None:
    """Non-strict VICIdial servers hold '0000-00-00' dates; a strict copy must not choke on or
    change them."""
    vdb.execute(f"SET SESSION sql_mode = '{LOOSE}'")
    seed_leads(vdb, 1)
    vdb.execute(
        "UPDATE vicidial_list SET entry_date = '0000-00-00 00:00:00',"
        " date_of_birth = '0000-00-00', last_local_call_time = '0000-00-00 00:00:00'"
        " WHERE lead_id = 1"
    )
    before = vdb.row("vicidial_list", 1)
    assert tuple(vdb.archive([1])[0][1:]) == (1, 0, 1, None)
    assert vdb.row("vicidial_list_archive", 1) == before


def test_audit_records_the_calling_account(vdb: SyncDB) -> None:
    seed_leads(vdb, 3)
    vdb.archive([1, 2], True, True, True)
    row = vdb.execute(
        "SELECT operation, actor, db_account, request_id, insert_leads, update_leads,"
        " delete_leads, lead_ids, select_count, insert_count, update_count, delete_count,"
        " kept_count FROM lead_archive_audit"
    )
    user = vdb.value("SELECT SESSION_USER()")
    assert row == [("archive", user, user, None, 1, 1, 1, "[1,2]", 2, 2, 0, 2, 0)]


def test_gateway_entry_point_records_api_user_and_request_id(vdb: SyncDB) -> None:
    seed_leads(vdb, 1)
    rows = vdb.call(
        "lead_archive_move", "archive", "crm-nightly", "req-42", "[1]", True, True, True
    )
    assert tuple(rows[0]) == (1, 1, 0, 1, None)
    assert vdb.execute("SELECT actor, request_id FROM lead_archive_audit") == [
        ("crm-nightly", "req-42")
    ]


def test_execute_only_account_can_archive_but_not_touch_tables(vdb: SyncDB, admin: SyncDB) -> None:
    seed_leads(vdb, 2)
    password = secrets.register("pw-exec-only-account")
    admin.execute(f"CREATE USER IF NOT EXISTS 'la_exec'@'%' IDENTIFIED BY '{password}'")
    admin.execute(f"GRANT EXECUTE ON PROCEDURE `{vdb.name}`.archive_leads TO 'la_exec'@'%'")
    from gateway.dburl import DatabaseURL

    url = vdb.url
    limited = SyncDB(
        DatabaseURL("la_exec", password, url.host, url.port, url.database, url.unix_socket)
    )
    try:
        assert sum(r[3] for r in limited.archive([1, 2])) == 2
        with pytest.raises(MySQLError):
            limited.execute("DELETE FROM vicidial_list_archive")
        actor = vdb.value("SELECT actor FROM lead_archive_audit")
        assert str(actor).startswith("la_exec@")
    finally:
        limited.close()
        admin.execute("DROP USER 'la_exec'@'%'")
    assert vdb.ids("vicidial_list_archive") == [1, 2]


def _message_ids(text: str) -> list[int]:
    return [int(n) for n in text.split(": ", 2)[-1].replace(",...", "").split(",")]


def test_long_duplicate_list_keeps_its_code_and_whole_ids(vdb: SyncDB) -> None:
    """MySQL refuses a MESSAGE_TEXT over 128 characters (error 1648 instead of the code):
    a long list is cut after the last whole id."""
    seed_leads(vdb, 3)
    ids = [i for n in range(1_000_000, 1_000_100) for i in (n, n)]
    with pytest.raises(MySQLError) as info:
        vdb.archive(ids)
    assert info.value.args[0] == 1644, info.value.args
    text = str(info.value.args[1])
    assert text.startswith("duplicate_lead_ids: ") and text.endswith(",...")
    assert len(text) <= 128
    listed = _message_ids(text)
    assert listed and listed == list(range(1_000_000, 1_000_000 + len(listed)))


def test_many_missing_leads_keep_their_code_and_every_id(vdb: SyncDB) -> None:
    seed_leads(vdb, 3)
    missing = list(range(1_000_000, 1_000_200))
    details = refused(
        vdb, "CALL archive_leads(%s, TRUE, TRUE, TRUE)", (str([1, *missing]),), "leads_not_found"
    )
    assert [int(r[0]) for r in details] == missing
    with pytest.raises(MySQLError) as info:
        vdb.archive([1, *missing])
    assert len(str(info.value.args[1])) <= 128
