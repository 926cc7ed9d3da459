"""Keys bound to a VICIdial user and VICIdial's own logs, through the procedures (CALL), on
VICIdial-shaped users, user groups, campaigns, lists and logs (sql/vicidial/users_and_logs.sql).

The user's checks: lead_archive_authenticate (the gateway's key check) and
lead_archive_gateway_move (which checks again: the gateway's account could call it alone);
the list restriction: lead_archive_gateway_move, after leads_not_found, before any write, and
lead_archive_gateway_lookup, which leaves the other lists' leads out of its answer;
the logs: lead_archive_gateway_move, archive_leads, dearchive_leads, lead_archive_direct_move,
lead_archive_gateway_refusal, lead_archive_gateway_lookup. Every refusal checks that nothing
changed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from asyncmy.errors import MySQLError

from gateway.admin import installer
from tests.support import vicidial
from tests.support.dbtools import SyncDB, build_vicidial, seed_leads

ALLOWED = "archiver"  # a VICIdial user lead_dearchive accepts
LEADS = 40


@pytest.fixture
def vv(vdb: SyncDB) -> SyncDB:
    """The VICIdial database with users, groups, campaigns, lists, logs and 40 leads."""
    vicidial.load(vdb)
    seed_leads(vdb, LEADS)
    vicidial.add_user(vdb, ALLOWED)
    return vdb


@pytest.fixture
def key(vv: SyncDB) -> bytes:
    """The SHA-256 of a key of API user 'crm' bound to the allowed VICIdial user."""
    return vicidial.bound_key(vv, "crm", ALLOWED)[1]


def authenticate(
    db: SyncDB, digest: bytes, function: str = "lead_archive", log: bool = True
) -> tuple[Any, ...]:
    rows = db.call("lead_archive_authenticate", digest, "192.0.2.9", function, "req-a", log)
    return tuple(rows[0])


def gateway_move(
    db: SyncDB,
    digest: bytes,
    ids: list[int],
    direction: str = "archive",
    request_id: str = "req-1",
    client: str = "192.0.2.9",
    log: bool = True,
    flags: tuple[bool, bool, bool] = (True, True, True),
) -> list[tuple[Any, ...]]:
    sets = db.results(
        "CALL lead_archive_gateway_move(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (direction, digest, request_id, client, json.dumps(ids), *flags, log),
    )
    return sets[0] if sets else []  # the leads; the last result set is the hold's lock_ms


def refused_move(db: SyncDB, code: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
    """A gateway move that must be refused with ``code``, changing no lead and no audit row;
    the details result set sent before the error."""
    before = db.checksums()
    audits = db.audit_count()
    with pytest.raises(MySQLError) as info:
        gateway_move(db, *args, **kwargs)
    assert info.value.args[0] == 1644, info.value.args
    assert str(info.value.args[1]).startswith(code + ":"), info.value.args
    assert len(str(info.value.args[1])) <= 128
    assert db.checksums() == before
    assert db.audit_count() == audits
    sets = getattr(info.value, "result_sets", [])
    return sets[-1] if sets else []


def audit_notes(db: SyncDB) -> list[Any]:
    """The vicidial_log note of every audit row, oldest first."""
    return [
        r[0] for r in db.execute("SELECT vicidial_log FROM lead_archive_audit ORDER BY audit_id")
    ]


# -- the user's permission, as VICIdial's lead_dearchive checks it ---------------------------

# one failing rule at a time; every other field as ALLOWED_USER
DENIED = [
    ("user_level", 7),
    ("user_level", 1),
    ("modify_leads", "0"),
    ("modify_leads", "2"),
    ("vdc_agent_api_access", "0"),
    ("api_allowed_functions", " lead_dearchive add_lead "),
    ("api_allowed_functions", " LEAD_ARCHIVE "),  # matched byte for byte, as preg_match does
    ("api_allowed_functions", " lead_archive_x "),
    ("api_allowed_functions", "lead_archive"),  # not space delimited
    ("api_allowed_functions", ""),
    ("api_allowed_functions", None),
]


@pytest.mark.parametrize(("field", "value"), DENIED)
def test_a_user_lacking_one_permission_is_refused(
    vv: SyncDB, key: bytes, field: str, value: Any
) -> None:
    vicidial.set_user(vv, ALLOWED, **{field: value})
    assert authenticate(vv, key) == ("crm", key, None, "permission_denied")
    refused_move(vv, "permission_denied", key, [1, 2])
    assert vv.value("SELECT COUNT(*) FROM lead_archive_auth_failures") == 0


@pytest.mark.parametrize(
    "functions", [" ALL_FUNCTIONS ", " lead_archive ", " add_lead lead_archive update_lead "]
)
def test_the_functions_vicidial_allows(vv: SyncDB, key: bytes, functions: str) -> None:
    vicidial.set_user(vv, ALLOWED, api_allowed_functions=functions)
    assert authenticate(vv, key) == ("crm", key, None, None)
    assert [r[3] for r in gateway_move(vv, key, [1, 2])] == [1, 1]


def test_the_way_back_needs_lead_dearchive(vv: SyncDB, key: bytes) -> None:
    vv.archive([1, 2])
    vicidial.set_user(vv, ALLOWED, api_allowed_functions=" lead_archive ")
    assert authenticate(vv, key, "lead_dearchive")[3] == "permission_denied"
    refused_move(vv, "permission_denied", key, [1, 2], direction="dearchive", flags=(1, 0, 1))
    vicidial.set_user(vv, ALLOWED, api_allowed_functions=" lead_archive lead_dearchive ")
    assert authenticate(vv, key, "lead_dearchive")[3] is None
    rows = gateway_move(vv, key, [1, 2], direction="dearchive", flags=(True, False, True))
    assert [r[1] for r in rows] == [1, 1]


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE vicidial_users SET active = 'N'",
        "UPDATE vicidial_users SET active = NULL",
        "DELETE FROM vicidial_users",
        "UPDATE vicidial_users SET `user` = 'renamed'",
        "DROP TABLE vicidial_users",
    ],
)
def test_a_missing_or_inactive_user_is_an_invalid_key(vv: SyncDB, key: bytes, change: str) -> None:
    """Refused like an unknown key, but not counted against the client's address: the key
    itself was right."""
    vv.execute(change)
    assert authenticate(vv, key) == (None, None, None, None)
    assert vv.value("SELECT COUNT(*) FROM lead_archive_auth_failures") == 0
    refused_move(vv, "invalid_api_key", key, [1, 2])


def test_disabling_the_user_refuses_the_next_call(vv: SyncDB, key: bytes) -> None:
    assert authenticate(vv, key)[0] == "crm"
    assert [r[3] for r in gateway_move(vv, key, [1])] == [1]
    vicidial.set_user(vv, ALLOWED, active="N")
    assert authenticate(vv, key)[0] is None
    refused_move(vv, "invalid_api_key", key, [2])
    vicidial.set_user(vv, ALLOWED, active="Y", modify_leads="0")
    refused_move(vv, "permission_denied", key, [2])
    vicidial.set_user(vv, ALLOWED, modify_leads="1")
    assert [r[3] for r in gateway_move(vv, key, [2], request_id="req-2")] == [1]


def test_an_unbound_key_is_not_checked_against_vicidial(vv: SyncDB) -> None:
    digest = vicidial.bound_key(vv, "plain", None)[1]
    vv.execute("DROP TABLE vicidial_users")
    assert authenticate(vv, digest) == ("plain", digest, None, None)
    assert [r[3] for r in gateway_move(vv, digest, [1])] == [1]


def test_binding_needs_an_existing_user_and_keeps_its_spelling(vv: SyncDB) -> None:
    with pytest.raises(MySQLError, match="vicidial_user_not_found"):
        vicidial.bound_key(vv, "crm", "nobody")
    assert vv.value("SELECT COUNT(*) FROM lead_archive_api_users") == 0
    vicidial.bound_key(vv, "crm", ALLOWED.upper())  # VICIdial's user names ignore case
    assert vv.execute("SELECT name, vicidial_user FROM lead_archive_api_users") == [
        ("crm", ALLOWED)
    ]
    assert vv.execute("CALL lead_archive_key_list()")[0][4] == ALLOWED
    vv.execute("DROP TABLE vicidial_users")
    with pytest.raises(MySQLError, match="vicidial_user_not_found: this database has no"):
        vicidial.bound_key(vv, "other", ALLOWED)


def test_vicidial_tables_in_another_collation_than_the_database(empty_db: SyncDB) -> None:
    """The procedures' parameters take the database's default collation; VICIdial's tables
    may have another (here utf8mb3_general_ci against their utf8mb3_unicode_ci), which a plain
    comparison refuses ("Illegal mix of collations"): binding, the user's check and the list
    restriction still work."""
    db = empty_db
    db.execute(f"ALTER DATABASE `{db.name}` COLLATE utf8mb3_general_ci")
    build_vicidial(db)
    vicidial.load(db)
    seed_leads(db, 20)
    vicidial.add_user(db, ALLOWED, api_list_restrict="1")
    digest = vicidial.bound_key(db, "crm", ALLOWED.upper())[1]
    assert db.value("SELECT vicidial_user FROM lead_archive_api_users") == ALLOWED
    assert authenticate(db, digest) == ("crm", digest, None, None)
    sales = vicidial.leads_in(db, {"SALES"})[:2]
    assert [r[3] for r in gateway_move(db, digest, sales)] == [1, 1]
    details = refused_move(db, "lead_access_denied", digest, vicidial.leads_in(db, {"OLD"})[:1])
    assert len(details) == 1
    vicidial.set_user(db, ALLOWED, modify_leads="0")
    assert authenticate(db, digest)[3] == "permission_denied"


def test_logs_in_a_database_of_another_unicode_collation(empty_db: SyncDB) -> None:
    """A database whose default is utf8mb4 in another collation than the audit table's: the
    audit row of the move is still found (compared byte for byte) and the logs written."""
    db = empty_db
    db.execute(f"ALTER DATABASE `{db.name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    build_vicidial(db)
    vicidial.load(db)
    seed_leads(db, 3)
    db.execute(
        "INSERT INTO lead_archive_api_users (name, key_sha256) VALUES ('crm', %s)", (b"k" * 32,)
    )
    assert [r[3] for r in gateway_move(db, b"k" * 32, [1])] == [1]
    assert [r[3] for r in db.archive([2])] == [1]
    assert audit_notes(db) == ["admin_log written, api_log written", "admin_log written"]


# -- the list restriction ----------------------------------------------------------------------


@pytest.fixture
def restricted(vv: SyncDB, key: bytes) -> bytes:
    """The key's user may touch only the leads of campaign SALES (its group's)."""
    vicidial.set_user(vv, ALLOWED, api_list_restrict="1")
    return key


def test_leads_of_allowed_campaigns_are_moved(vv: SyncDB, restricted: bytes) -> None:
    sales = vicidial.leads_in(vv, {"SALES"})
    assert len(sales) >= 5
    rows = gateway_move(vv, restricted, sales[:5])
    assert [(r[0], r[3]) for r in rows] == [(i, 1) for i in sales[:5]]


def test_regression_leads_outside_the_allowed_campaigns_are_refused_whole(
    vv: SyncDB, restricted: bytes
) -> None:
    """One call with allowed and other leads moves none of them and names the others."""
    sales = vicidial.leads_in(vv, {"SALES"})[:3]
    others = vicidial.leads_in(vv, {"SURVEY", "OLD"})[:3]
    ids = [sales[0], others[0], sales[1], others[1], others[2], sales[2]]
    details = refused_move(vv, "lead_access_denied", restricted, ids)
    assert [int(r[0]) for r in details] == [others[0], others[1], others[2]]


def test_a_long_refusal_keeps_its_code_and_lists_every_lead(vv: SyncDB, key: bytes) -> None:
    vicidial.set_user(vv, ALLOWED, api_list_restrict="1")
    vv.execute("UPDATE vicidial_user_groups SET allowed_campaigns = ' -'")
    ids = list(range(1, LEADS + 1))
    details = refused_move(vv, "lead_access_denied", key, ids)
    assert [int(r[0]) for r in details] == ids


@pytest.mark.parametrize(
    "allowed", [" -ALL-CAMPAIGNS- - ", "-ALL-CAMPAIGNS-", " SURVEY -all-campaigns- -"]
)
def test_all_campaigns_allows_every_lead(vv: SyncDB, restricted: bytes, allowed: str) -> None:
    vv.execute("UPDATE vicidial_user_groups SET allowed_campaigns = %s", (allowed,))
    assert all(r[3] for r in gateway_move(vv, restricted, list(range(1, 11))))


def test_several_allowed_campaigns(vv: SyncDB, restricted: bytes) -> None:
    vv.execute("UPDATE vicidial_user_groups SET allowed_campaigns = ' SURVEY SALES -'")
    ids = vicidial.leads_in(vv, {"SALES", "SURVEY"})[:8]
    assert all(r[3] for r in gateway_move(vv, restricted, ids))
    refused_move(vv, "lead_access_denied", restricted, vicidial.leads_in(vv, {"OLD"})[:1])


@pytest.mark.parametrize(
    "change",
    [
        "DELETE FROM vicidial_user_groups",
        "UPDATE vicidial_user_groups SET allowed_campaigns = NULL",
        "UPDATE vicidial_users SET user_group = NULL",
        "DROP TABLE vicidial_user_groups",
        "DROP TABLE vicidial_lists",
        "DELETE FROM vicidial_lists WHERE list_id IN (101, 102)",
    ],
)
def test_what_vicidial_does_not_allow_is_refused(
    vv: SyncDB, restricted: bytes, change: str
) -> None:
    vv.execute(change)
    sales = vicidial.leads_in(vv, {"SALES"})[:2]
    details = refused_move(vv, "lead_access_denied", restricted, sales)
    assert [int(r[0]) for r in details] == sales


def test_missing_leads_are_answered_before_the_restriction(vv: SyncDB, restricted: bytes) -> None:
    other = vicidial.leads_in(vv, {"OLD"})[0]
    details = refused_move(vv, "leads_not_found", restricted, [other, 999_999])
    assert [int(r[0]) for r in details] == [999_999]


def test_a_schema_mismatch_is_answered_before_the_restriction(
    vv: SyncDB, restricted: bytes
) -> None:
    vv.execute("ALTER TABLE vicidial_list_archive DROP COLUMN entry_list_id")
    refused_move(vv, "schema_mismatch", restricted, vicidial.leads_in(vv, {"OLD"})[:2])


def test_bad_id_lists_are_refused_as_the_move_refuses_them(vv: SyncDB, restricted: bytes) -> None:
    for text, code in (("[1,1]", "duplicate_lead_ids"), ("[1.5]", "invalid_lead_ids")):
        with pytest.raises(MySQLError) as info:
            vv.call("lead_archive_gateway_move", "archive", restricted, "r", "x", text, 1, 1, 1, 1)
        assert str(info.value.args[1]).startswith(code + ":")


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("[ {0} ,\n\t{1} ]", "moved"),  # spaces and newlines: the same leads
        ("[{0},{0}]", "duplicate_lead_ids"),
        ("[{0}, 99999999999]", "invalid_lead_ids"),
        ("[{0}, 123456789012345678901234567890]", "invalid_lead_ids"),
        ("[{0}, -{1}]", "invalid_lead_ids"),
        ("[{0}, {1}.0]", "invalid_lead_ids"),
        ("[{0}, {2}]", "lead_access_denied"),
        ("[{2}, {0}]", "lead_access_denied"),
        ("[{0}, 4294967295]", "leads_not_found"),
    ],
)
def test_every_way_of_writing_the_ids_meets_the_restriction(
    vv: SyncDB, restricted: bytes, text: str, outcome: str
) -> None:
    """Allowed leads pass in any spacing; a duplicate, a bad id, an id outside the campaigns
    or a missing one is answered as the move answers it, never let through."""
    sales = vicidial.leads_in(vv, {"SALES"})
    other = vicidial.leads_in(vv, {"OLD"})[0]
    ids = text.format(sales[0], sales[1], other)
    args = ("lead_archive_gateway_move", "archive", restricted, "r", "x", ids, 1, 1, 1, 1)
    if outcome == "moved":
        sets = vv.results(f"CALL {args[0]}({', '.join(['%s'] * 9)})", args[1:])
        assert [r[3] for r in sets[0]] == [1, 1]  # the leads; then the hold's lock_ms
        return
    before = vv.checksums()
    with pytest.raises(MySQLError) as info:
        vv.call(*args)
    assert str(info.value.args[1]).startswith(outcome + ":"), info.value.args
    assert vv.checksums() == before and vv.audit_count() == 0


def test_the_way_back_reads_the_list_in_the_archive(vv: SyncDB, key: bytes) -> None:
    sales = vicidial.leads_in(vv, {"SALES"})[:2]
    other = vicidial.leads_in(vv, {"OLD"})[0]
    vv.archive([*sales, other])
    vicidial.set_user(vv, ALLOWED, api_list_restrict="1")
    details = refused_move(
        vv, "lead_access_denied", key, [other, *sales], direction="dearchive", flags=(1, 0, 1)
    )
    assert [int(r[0]) for r in details] == [other]
    rows = gateway_move(vv, key, sales, direction="dearchive", flags=(True, False, True))
    assert [r[1] for r in rows] == [1, 1]


def test_the_restriction_leaves_no_working_table(vv: SyncDB, restricted: bytes) -> None:
    """The check's own tables are dropped, refused or not (a leftover request table would
    be taken for the caller's by the next call)."""
    refused_move(vv, "lead_access_denied", restricted, vicidial.leads_in(vv, {"OLD"})[:1])
    for table in ("lead_archive_request", "lead_archive_problems"):
        with pytest.raises(MySQLError) as info:
            vv.execute(f"SELECT 1 FROM `{table}`")
        assert info.value.args[0] == 1146, info.value.args
    assert all(r[3] for r in gateway_move(vv, restricted, vicidial.leads_in(vv, {"SALES"})[:2]))


# -- VICIdial's admin log ----------------------------------------------------------------------


def test_admin_log_row_of_an_http_archive(vv: SyncDB, key: bytes) -> None:
    vv.archive([3], True, False, False)
    vv.execute("UPDATE vicidial_list SET comments = 'changed' WHERE lead_id = 3")
    vv.execute("INSERT INTO vicidial_hopper (lead_id, list_id) VALUES (4, 101)")
    gateway_move(vv, key, [1, 2, 3, 4], request_id="req-77", client="203.0.113.254")
    audit_id = vv.value("SELECT MAX(audit_id) FROM lead_archive_audit")
    group = vv.value("SELECT user_group FROM vicidial_users")
    first, row = vicidial.admin_log(vv)  # the first: archive_leads('[3]', …) above
    assert first["event_sql"] == "CALL archive_leads('[3]', TRUE, FALSE, FALSE);|"
    assert row["event_date"] is not None
    assert {k: v for k, v in row.items() if k not in ("admin_log_id", "event_date")} == {
        "user": ALLOWED,
        "ip_address": "203.0.113.254",
        "event_section": "LISTS",
        "event_type": "MODIFY",
        "record_id": "leads",
        "event_code": "LEAD ARCHIVE API",
        "event_sql": "CALL archive_leads('[1, 2, 3, 4]', TRUE, TRUE, TRUE);|",
        "event_notes": "4 leads selected|3 vicidial_list_archive leads inserted|"
        "1 vicidial_list_archive leads updated|3 vicidial_list leads deleted|1 leads kept|"
        f"request_id req-77|audit_id {audit_id}|",
        "user_group": group,
    }
    assert audit_notes(vv)[-1] == "admin_log written, api_log written"


def test_admin_log_row_of_an_http_dearchive(vv: SyncDB, key: bytes) -> None:
    vv.archive([5, 6])
    gateway_move(vv, key, [5, 6], direction="dearchive", flags=(True, False, False))
    row = vicidial.admin_log(vv)[-1]
    assert row["event_code"] == "LEAD DEARCHIVE API"
    assert row["event_sql"] == "CALL dearchive_leads('[5, 6]', TRUE, FALSE);|"
    assert row["event_notes"].startswith(
        "2 leads selected|2 vicidial_list leads inserted|0 vicidial_list_archive leads deleted|"
        "0 leads kept|request_id req-1|"
    )
    assert (row["user"], row["event_section"], row["event_type"]) == (ALLOWED, "LISTS", "MODIFY")


def test_admin_log_names_the_api_user_of_an_unbound_key(vv: SyncDB) -> None:
    digest = vicidial.bound_key(vv, "nightly-archiver-of-crm-leads", None)[1]
    gateway_move(vv, digest, [1], client="2001:db8:aaaa:bbbb::1")
    row = vicidial.admin_log(vv)[-1]
    assert (row["user"], row["ip_address"], row["user_group"]) == (
        "nightly-archiver-of-",  # cut to VICIdial's 20 characters
        "2001:db8:aaaa:b",  # and 15
        "---ALL---",
    )


@pytest.mark.parametrize("direction", ["archive", "dearchive"])
def test_admin_log_row_of_a_direct_call(vv: SyncDB, direction: str) -> None:
    account = str(vv.value("SELECT SESSION_USER()"))
    if direction == "archive":
        vv.archive([7, 8], True, True, True)
    else:
        vv.archive([7, 8], True, False, False)
        vv.dearchive([7, 8], False, True)
    row = vicidial.admin_log(vv)[-1]
    user, _, host = account.partition("@")
    assert (row["user"], row["ip_address"], row["user_group"]) == (user, host[:15], "---ALL---")
    assert row["event_code"] == f"LEAD {direction.upper()} API"
    assert row["event_sql"] == (
        "CALL archive_leads('[7,8]', TRUE, TRUE, TRUE);|"
        if direction == "archive"
        else "CALL dearchive_leads('[7,8]', FALSE, TRUE);|"
    )
    assert "|request_id -|" in row["event_notes"]
    assert vicidial.api_log(vv) == []  # a DBA's call is no API request
    assert audit_notes(vv)[-1] == "admin_log written"


def test_bulk_direct_move_logs_unless_off(vv: SyncDB) -> None:
    vv.call("lead_archive_direct_move", "archive", "bulk", "bulk-1", "[9]", 1, 1, 1, 1)
    vv.call("lead_archive_direct_move", "archive", "bulk", "bulk-2", "[10]", 1, 1, 1, 0)
    [row] = vicidial.admin_log(vv)
    assert row["event_notes"].endswith(
        f"|request_id bulk-1|audit_id {vv.value('SELECT MIN(audit_id) FROM lead_archive_audit')}|"
    )
    assert vv.execute("SELECT actor, vicidial_log FROM lead_archive_audit ORDER BY audit_id") == [
        ("bulk", "admin_log written"),
        ("bulk", "off"),
    ]


def test_a_call_that_changed_nothing_adds_no_admin_row(vv: SyncDB, key: bytes) -> None:
    gateway_move(vv, key, [1, 2], flags=(False, False, True))  # nothing archived: all kept
    vv.archive([3], False, False, False)
    assert vicidial.admin_log(vv) == []
    assert audit_notes(vv) == ["admin_log unchanged, api_log written", "admin_log unchanged"]
    assert [r["result"] for r in vicidial.api_log(vv)] == ["SUCCESS"]


# -- VICIdial's api log ------------------------------------------------------------------------


def test_api_log_row_of_a_move(vv: SyncDB, key: bytes) -> None:
    gateway_move(vv, key, [1, 2], request_id="req-9")
    [row] = vicidial.api_log(vv)
    audit_id = vv.value("SELECT MAX(audit_id) FROM lead_archive_audit")
    assert row["api_date"] is not None and float(row["run_time"]) >= 0
    assert {k: row[k] for k in row if k not in ("api_id", "api_date", "run_time")} == {
        "user": ALLOWED,
        "api_script": "lead-arch",
        "function": "lead_archive",
        "agent_user": None,
        "value": "[1, 2]",
        "result": "SUCCESS",
        "result_reason": "ok",
        "source": "lead-archive",
        "data": f"request_id=req-9|audit_id={audit_id}|select_count=2|insert_count=2"
        "|update_count=0|delete_count=2|kept_count=0",
        "webserver": 0,
        "api_url": 0,
    }


@pytest.mark.parametrize(
    ("ids", "code"),
    [([1, 999_999], "leads_not_found"), ([1, 2], "permission_denied")],
)
def test_api_log_row_of_a_refused_move(vv: SyncDB, key: bytes, ids: list[int], code: str) -> None:
    if code == "permission_denied":
        vicidial.set_user(vv, ALLOWED, vdc_agent_api_access="0")
    refused_move(vv, code, key, ids, request_id="req-5")
    [row] = vicidial.api_log(vv)
    assert (row["user"], row["function"], row["result"], row["result_reason"]) == (
        ALLOWED,
        "lead_archive",
        "ERROR",
        code,
    )
    assert row["data"] == "request_id=req-5"
    assert vicidial.admin_log(vv) == []


def test_api_log_row_of_a_schema_mismatch_and_a_refused_restriction(vv: SyncDB, key: bytes) -> None:
    vicidial.set_user(vv, ALLOWED, api_list_restrict="1")
    refused_move(vv, "lead_access_denied", key, vicidial.leads_in(vv, {"OLD"})[:1])
    vv.execute("ALTER TABLE vicidial_list_archive DROP COLUMN entry_list_id")
    vicidial.set_user(vv, ALLOWED, api_list_restrict="0")
    refused_move(vv, "schema_mismatch", key, [1])
    assert [(r["function"], r["result"], r["result_reason"]) for r in vicidial.api_log(vv)] == [
        ("lead_archive", "ERROR", "lead_access_denied"),
        ("lead_archive", "ERROR", "schema_mismatch"),
    ]


def test_authentication_logs_permission_denied_and_nothing_else(vv: SyncDB, key: bytes) -> None:
    authenticate(vv, key)  # allowed: the move call will log
    authenticate(vv, b"\x01" * 32)  # unknown key: not authenticated, nothing to log
    vicidial.set_user(vv, ALLOWED, user_level=5)
    authenticate(vv, key, "lead_dearchive")
    authenticate(vv, key, "lead_dearchive", log=False)
    [row] = vicidial.api_log(vv)
    assert (row["user"], row["function"], row["result"], row["result_reason"], row["data"]) == (
        ALLOWED,
        "lead_dearchive",
        "ERROR",
        "permission_denied",
        "request_id=req-a",
    )


def test_gateway_refusal_row(vv: SyncDB, key: bytes) -> None:
    plain = vicidial.bound_key(vv, "plain", None)[1]
    assert vv.call("lead_archive_gateway_refusal", "archive", key, "r1", "office_hours", "0.01")
    vv.call("lead_archive_gateway_refusal", "dearchive", plain, "r2", "malformed_json", "0.5")
    vv.call("lead_archive_gateway_refusal", "archive", b"\x02" * 32, "r3", "office_hours", "1")
    vv.call("lead_archive_gateway_refusal", "archive", key, "r4", "'; DROP", "x")
    got = [
        (r["user"], r["function"], r["result"], r["result_reason"], r["data"], r["run_time"])
        for r in vicidial.api_log(vv)
    ]
    assert got == [
        (ALLOWED, "lead_archive", "ERROR", "office_hours", "request_id=r1", "0.01"),
        ("plain", "lead_dearchive", "ERROR", "malformed_json", "request_id=r2", "0.5"),
        (ALLOWED, "lead_archive", "ERROR", "internal_error", "request_id=r4", "0"),
    ]


# -- off, missing, failing ---------------------------------------------------------------------


def test_log_off_writes_nothing_and_says_so(vv: SyncDB, key: bytes) -> None:
    vicidial.set_user(vv, ALLOWED, api_list_restrict="1")
    gateway_move(vv, key, vicidial.leads_in(vv, {"SALES"})[:2], log=False)
    refused_move(vv, "lead_access_denied", key, vicidial.leads_in(vv, {"OLD"})[:1], log=False)
    vicidial.set_user(vv, ALLOWED, modify_leads="0")
    authenticate(vv, key, log=False)
    refused_move(vv, "permission_denied", key, [1], log=False)
    assert vicidial.admin_log(vv) == [] and vicidial.api_log(vv) == []
    assert audit_notes(vv) == ["off"]


@pytest.mark.parametrize("table", ["vicidial_admin_log", "vicidial_api_log"])
def test_missing_log_tables_are_no_problem(vv: SyncDB, key: bytes, table: str) -> None:
    vv.execute(f"DROP TABLE {table}")
    assert [r[3] for r in gateway_move(vv, key, [1, 2])] == [1, 1]
    refused_move(vv, "leads_not_found", key, [999_999], request_id="req-2")
    assert [r[3] for r in vv.archive([3])] == [1]
    admin, api = ("absent", "written") if table == "vicidial_admin_log" else ("written", "absent")
    assert audit_notes(vv) == [f"admin_log {admin}, api_log {api}", f"admin_log {admin}"]


def test_without_any_vicidial_table_every_call_works(vdb: SyncDB) -> None:
    seed_leads(vdb, 3)
    digest = vicidial.bound_key(vdb, "plain", None)[1]
    assert [r[3] for r in gateway_move(vdb, digest, [1])] == [1]
    assert [r[3] for r in vdb.archive([2])] == [1]
    assert vdb.call("lead_archive_gateway_refusal", "archive", digest, "r", "office_hours", "0")
    assert audit_notes(vdb) == ["admin_log absent, api_log absent", "admin_log absent"]


FAILURES = {
    "trigger": (
        "CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW "
        "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'read only'",
        1644,
    ),
    "column removed": ("ALTER TABLE {table} DROP COLUMN `user`", 1054),
    "column narrowed": ("ALTER TABLE {table} MODIFY `user` VARCHAR(2) NOT NULL", 1406),
    "column added": ("ALTER TABLE {table} ADD COLUMN must_have INT NOT NULL", 1364),
}


@pytest.fixture(params=sorted(FAILURES))
def failure(request: pytest.FixtureRequest) -> tuple[str, int]:
    return FAILURES[str(request.param)]


@pytest.mark.parametrize("table", ["vicidial_admin_log", "vicidial_api_log"])
def test_regression_a_failing_log_insert_never_fails_the_move(
    vv: SyncDB, key: bytes, failure: tuple[str, int], table: str
) -> None:
    """The leads are moved and the answer is the move's; the audit row says which log could
    not be written and why (the audit stays the complete record)."""
    statement, errno = failure
    vv.execute(statement.format(table=table))
    before = vv.row("vicidial_list", 1)
    rows = gateway_move(vv, key, [1, 2])
    assert [r[1:] for r in rows] == [(1, 0, 1, None)] * 2
    assert vv.row("vicidial_list_archive", 1) == before and vv.ids("vicidial_list")[:1] == [3]
    error = f"error {errno}"
    admin, api = (error, "written") if table == "vicidial_admin_log" else ("written", error)
    assert audit_notes(vv) == [f"admin_log {admin}, api_log {api}"]
    assert [r[3] for r in vv.archive([3])] == [1]
    assert audit_notes(vv)[-1] == f"admin_log {admin}"
    # a refusal's log row failing: the refusal is answered as it is
    refused_move(vv, "leads_not_found", key, [999_999], request_id="req-3")


def test_regression_a_log_table_dropped_between_calls(vv: SyncDB, key: bytes) -> None:
    gateway_move(vv, key, [1])
    vv.execute("DROP TABLE vicidial_admin_log")
    gateway_move(vv, key, [2], request_id="req-2")
    vv.script(installer.read_sql("vicidial", "users_and_logs.sql"))
    gateway_move(vv, key, [3], request_id="req-3")
    assert vv.execute("SELECT request_id, vicidial_log FROM lead_archive_audit ORDER BY 1") == [
        ("req-1", "admin_log written, api_log written"),
        ("req-2", "admin_log absent, api_log written"),
        ("req-3", "admin_log written, api_log written"),
    ]
    assert vv.ids("vicidial_list")[:1] == [4]


def test_regression_a_locked_log_table_holds_the_call_two_seconds_at_most(
    vv: SyncDB, key: bytes
) -> None:
    """Another session holding a write lock on the admin log: the move is done, its admin
    row given up after lock_wait_timeout (2 s), the caller's own timeout untouched."""
    locker = SyncDB(vv.url)
    try:
        locker.execute("LOCK TABLES vicidial_admin_log WRITE")
        vv.execute("SET SESSION lock_wait_timeout = 100")
        assert [r[3] for r in gateway_move(vv, key, [1])] == [1]
        assert vv.value("SELECT @@SESSION.lock_wait_timeout") == 100
    finally:
        locker.execute("UNLOCK TABLES")
        locker.close()
    assert audit_notes(vv) == ["admin_log error 1205, api_log written"]


# -- the caller's session ----------------------------------------------------------------------


def test_the_logs_leave_the_session_as_it_was(vv: SyncDB, key: bytes) -> None:
    """LAST_INSERT_ID(), lock_wait_timeout and autocommit as the caller had them, and no
    transaction left open, whatever the move itself does (lead_archive_vicidial_log alone)."""
    vv.archive([1], True, False, False)
    is_mariadb = "mariadb" in str(vv.value("SELECT VERSION()")).lower()
    vv.execute("SELECT LAST_INSERT_ID(77)")
    vv.execute("SET SESSION lock_wait_timeout = 50, autocommit = 0")
    try:
        vv.call(
            "lead_archive_vicidial_log",
            "archive",
            vv.value("SELECT SESSION_USER()"),
            None,
            "[1]",
            0,
            "someone",
            None,
            "",
            None,
            True,
            None,
            True,
        )
        assert vv.execute("SELECT LAST_INSERT_ID(), @@SESSION.lock_wait_timeout") == [(77, 50)]
        assert vv.value("SELECT @@SESSION.autocommit") == 0
        if is_mariadb:
            assert vv.value("SELECT @@SESSION.in_transaction") == 0
    finally:
        vv.execute("SET SESSION autocommit = 1")
    assert [r["user"] for r in vicidial.admin_log(vv)] == [
        str(vv.value("SELECT SESSION_USER()")).split("@")[0],
        "someone",
    ]
    assert [r["result"] for r in vicidial.api_log(vv)] == ["SUCCESS"]


def test_the_logs_work_under_a_callers_join_limit(vv: SyncDB) -> None:
    """max_join_size (which turns sql_big_selects off) would refuse the look-up of the audit
    row after the move: the step runs with sql_big_selects on, then gives the setting back."""
    for lead_id in range(1, 9):
        vv.archive([lead_id], True, False, False)
    account = vv.value("SELECT SESSION_USER()")
    vv.execute("SET SESSION max_join_size = 2")
    try:
        vv.call(
            "lead_archive_vicidial_log",
            "archive",
            account,
            None,
            "[1]",
            0,
            "someone",
            None,
            "",
            None,
            False,
            None,
            True,
        )
        assert vv.value("SELECT @@SESSION.sql_big_selects") == 0
    finally:
        vv.execute("SET SESSION max_join_size = DEFAULT")
    assert [r["user"] for r in vicidial.admin_log(vv)][-1] == "someone"


def test_regression_an_audit_note_that_cannot_be_written_never_fails_the_move(
    vv: SyncDB, key: bytes
) -> None:
    """The note is written after the move is committed; failing, it must not turn a done
    move into an error (a client would retry a move that happened)."""
    vv.execute("ALTER TABLE lead_archive_audit DROP COLUMN vicidial_log")
    assert [r[3] for r in gateway_move(vv, key, [1])] == [1]
    assert [r[3] for r in vv.archive([2])] == [1]
    assert vv.audit_count() == 2 and len(vicidial.admin_log(vv)) == 2


@pytest.fixture
def limited_gateway(vv: SyncDB, admin: SyncDB) -> Iterator[SyncDB]:
    """A connection of an account with EXECUTE on the gateway's procedures only."""
    from gateway.admin import installer
    from gateway.dburl import DatabaseURL
    from tests.support import secrets

    user = "la_gw_vici"
    password = secrets.register("pw-vicidial-gateway-account")
    admin.execute(f"DROP USER IF EXISTS '{user}'@'%'")
    admin.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
    for statement in installer.grant_statements(vv.name, f"{user}@%"):
        admin.execute(statement)
    url = vv.url
    limited = SyncDB(DatabaseURL(user, password, url.host, url.port, url.database))
    try:
        yield limited
    finally:
        limited.close()
        admin.execute(f"DROP USER '{user}'@'%'")


def test_the_gateway_account_cannot_skip_the_users_check(
    vv: SyncDB, key: bytes, limited_gateway: SyncDB
) -> None:
    """Its account may call the move without the authentication call: the move checks the
    user itself, and the account reaches no VICIdial table directly."""
    vicidial.set_user(vv, ALLOWED, modify_leads="0")
    with pytest.raises(MySQLError) as info:
        gateway_move(limited_gateway, key, [1])
    assert str(info.value.args[1]).startswith("permission_denied:")
    for sql in ("SELECT * FROM vicidial_users", "INSERT INTO vicidial_api_log (`user`) VALUES (1)"):
        with pytest.raises(MySQLError):
            limited_gateway.execute(sql)
    vicidial.set_user(vv, ALLOWED, modify_leads="1")
    assert [r[3] for r in gateway_move(limited_gateway, key, [1])] == [1]
    assert [r["result"] for r in vicidial.api_log(vv)] == ["ERROR", "SUCCESS"]


# -- the phone look-up: lead_archive_gateway_lookup ------------------------------------------

PHONE = "5550102030"


@pytest.fixture
def shared_number(vv: SyncDB) -> dict[str, int]:
    """Every lead archived; one lead of each campaign (SALES, SURVEY, OLD) holds PHONE."""
    vv.archive(list(range(1, LEADS + 1)))
    chosen = {
        campaign: vicidial.leads_in(vv, {campaign}, "vicidial_list_archive")[0]
        for campaign in ("SALES", "SURVEY", "OLD")
    }
    vv.execute(
        "UPDATE vicidial_list_archive SET phone_number = %s WHERE lead_id IN (%s, %s, %s)",
        (PHONE, *chosen.values()),
    )
    return chosen


def gateway_lookup(
    db: SyncDB, digest: bytes, phone: str = PHONE, log: bool = True, request_id: str = "req-l"
) -> list[int]:
    return [
        int(r[0])
        for r in db.call("lead_archive_gateway_lookup", digest, request_id, phone, 51, log)
    ]


def test_lookup_of_a_restricted_user_leaves_out_the_leads_of_other_lists(
    vv: SyncDB, key: bytes, shared_number: dict[str, int]
) -> None:
    """A search names no lead it was given: the others are left out, not refused (a refusal
    would tell that a hidden lead has this number)."""
    everyone = sorted(shared_number.values(), reverse=True)
    assert gateway_lookup(vv, key) == everyone
    vicidial.set_user(vv, ALLOWED, api_list_restrict="1")
    assert gateway_lookup(vv, key) == [shared_number["SALES"]]
    vv.execute("UPDATE vicidial_user_groups SET allowed_campaigns = ' SURVEY SALES -'")
    assert gateway_lookup(vv, key) == sorted(
        (shared_number["SALES"], shared_number["SURVEY"]), reverse=True
    )
    vv.execute("UPDATE vicidial_user_groups SET allowed_campaigns = ' -ALL-CAMPAIGNS- - '")
    assert gateway_lookup(vv, key) == everyone
    plain = vicidial.bound_key(vv, "plain", None)[1]  # no VICIdial user: no restriction
    assert gateway_lookup(vv, plain) == everyone


@pytest.mark.parametrize(
    "change",
    [
        "DELETE FROM vicidial_user_groups",
        "DROP TABLE vicidial_user_groups",
        "DROP TABLE vicidial_lists",
    ],
)
def test_lookup_of_a_restricted_user_sees_nothing_vicidial_does_not_allow(
    vv: SyncDB, key: bytes, shared_number: dict[str, int], change: str
) -> None:
    vicidial.set_user(vv, ALLOWED, api_list_restrict="1")
    vv.execute(change)
    assert gateway_lookup(vv, key) == []


def test_lookup_limit_counts_only_the_leads_the_user_may_see(vv: SyncDB, key: bytes) -> None:
    vv.archive(list(range(1, LEADS + 1)))
    vv.execute("UPDATE vicidial_list_archive SET phone_number = %s", (PHONE,))
    vicidial.set_user(vv, ALLOWED, api_list_restrict="1")
    sales = vicidial.leads_in(vv, {"SALES"}, "vicidial_list_archive")
    rows = vv.call("lead_archive_gateway_lookup", key, "r", PHONE, 3, True)
    assert [int(r[0]) for r in rows] == sorted(sales, reverse=True)[:3]


def test_lookup_checks_the_key_and_its_user(vv: SyncDB, key: bytes) -> None:
    for digest, change, code in (
        (b"\x03" * 32, None, "invalid_api_key"),
        (key, "UPDATE vicidial_users SET active = 'N'", "invalid_api_key"),
        (key, "UPDATE vicidial_users SET active = 'Y', modify_leads = '0'", "permission_denied"),
        (key, "UPDATE vicidial_users SET modify_leads = '1'", "invalid_phone_number"),
    ):
        if change:
            vv.execute(change)
        with pytest.raises(MySQLError) as info:
            gateway_lookup(vv, digest, "n/a" if code == "invalid_phone_number" else PHONE)
        assert str(info.value.args[1]).startswith(code + ":"), info.value.args
    assert [(r["function"], r["result"], r["result_reason"]) for r in vicidial.api_log(vv)] == [
        ("lead_archive", "ERROR", "permission_denied"),
        ("lead_archive", "ERROR", "invalid_phone_number"),
    ]


def test_api_log_row_of_a_lookup(vv: SyncDB, key: bytes, shared_number: dict[str, int]) -> None:
    vicidial.set_user(vv, ALLOWED, api_list_restrict="1")
    assert gateway_lookup(vv, key, request_id="req-look") == [shared_number["SALES"]]
    [row] = vicidial.api_log(vv)
    assert row["api_date"] is not None and float(row["run_time"]) >= 0
    assert {k: row[k] for k in ("user", "function", "value", "result", "result_reason")} == {
        "user": ALLOWED,
        "function": "lead_archive",
        "value": f"[{shared_number['SALES']}]",
        "result": "SUCCESS",
        "result_reason": "ok",
    }
    assert row["data"] == "request_id=req-look|lookup_count=1"
    assert PHONE not in str(row)  # the number searched for is not written
    assert gateway_lookup(vv, key, "5550000000") == []
    assert vicidial.api_log(vv)[-1]["value"] == "[]"


def test_lookup_with_the_log_off_writes_nothing(
    vv: SyncDB, key: bytes, shared_number: dict[str, int]
) -> None:
    assert len(gateway_lookup(vv, key, log=False)) == 3
    vicidial.set_user(vv, ALLOWED, modify_leads="0")
    with pytest.raises(MySQLError):
        gateway_lookup(vv, key, log=False)
    assert vicidial.api_log(vv) == []
    assert vv.value("SELECT @@SESSION.group_concat_max_len") == vv.value(
        "SELECT @@GLOBAL.group_concat_max_len"
    )


def test_the_gateway_account_cannot_look_up_past_the_restriction(
    vv: SyncDB, key: bytes, shared_number: dict[str, int], limited_gateway: SyncDB
) -> None:
    """Its account has EXECUTE on the restricted look-up, not on the DBA's lead_archive_lookup."""
    vicidial.set_user(vv, ALLOWED, api_list_restrict="1")
    with pytest.raises(MySQLError) as info:
        limited_gateway.call("lead_archive_lookup", PHONE, 51)
    assert info.value.args[0] == 1370, info.value.args
    assert gateway_lookup(limited_gateway, key) == [shared_number["SALES"]]
