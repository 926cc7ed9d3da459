"""Data loss and wrong answers of the procedures that depend on the caller's session or on the
shape of the tables, each a ``test_regression_…``; then the same class on purpose: the
representative procedure checks run under a matrix of session settings and column types.

The calls here are direct ``CALL``s, as a DBA makes them; the second account of the shadowing
tests holds only EXECUTE and CREATE TEMPORARY TABLES.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import os
import random
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from asyncmy.errors import MySQLError

from gateway.admin import installer
from gateway.dburl import DatabaseURL
from tests.support import mariadb_versions, secrets
from tests.support.dbtools import SyncDB, build_vicidial, insert_leads, make_lead, seed_leads
from tests.support.processes import cli_env, run_cli

WORK_TABLES = (
    "lead_archive_request",
    "lead_archive_copy",
    "lead_archive_source_columns",
    "lead_archive_target_columns",
    "lead_archive_problems",
    "lead_archive_check_report",
)
BUSY_TABLES = {
    # table: (a row that makes lead 2 busy, a row of lead 2 that does not)
    "vicidial_hopper": ("INSERT INTO vicidial_hopper (lead_id, list_id) VALUES (2, 101)", None),
    "vicidial_auto_calls": (
        "INSERT INTO vicidial_auto_calls (server_ip, lead_id) VALUES ('10.0.0.1', 2)",
        None,
    ),
    "vicidial_live_agents": (
        "INSERT INTO vicidial_live_agents (server_ip, lead_id) VALUES ('10.0.0.1', 2)",
        None,
    ),
    "vicidial_callbacks": (
        "INSERT INTO vicidial_callbacks (lead_id, status) VALUES (2, 'ACTIVE')",
        "INSERT INTO vicidial_callbacks (lead_id, status) VALUES (2, 'INACTIVE')",
    ),
    "vicidial_inbound_callback_queue": (
        "INSERT INTO vicidial_inbound_callback_queue (lead_id, group_id, icbq_status)"
        " VALUES (2, 'SALES', 'NEW')",
        "INSERT INTO vicidial_inbound_callback_queue (lead_id, group_id, icbq_status)"
        " VALUES (2, 'SALES', 'EXPIRED')",
    ),
    "vicidial_abandon_check_queue": (
        "INSERT INTO vicidial_abandon_check_queue (lead_id, check_status) VALUES (2, 'QUEUE')",
        "INSERT INTO vicidial_abandon_check_queue (lead_id, check_status) VALUES (2, 'COMPLETE')",
    ),
    "vicidial_shared_drops": (
        "INSERT INTO vicidial_shared_drops (server_ip, lead_id) VALUES ('10.0.0.1', 2)",
        None,
    ),
    "vicidial_hci_reserve": (
        "INSERT INTO vicidial_hci_reserve (`user`, lead_id, campaign_id) VALUES ('6666', 2, 'C1')",
        None,
    ),
}


# ---------------------------------------------------------------- helpers


def text(value: Any) -> Any:
    """A value as the tests compare it (SET NAMES binary sends strings as bytes)."""
    return value.decode() if isinstance(value, bytes | bytearray) else value


def call_rows(db: SyncDB, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(text(v) for v in row) for row in db.execute(sql)]


def expect_refusal(
    caller: SyncDB, sql: str, prefix: str, observer: SyncDB | None = None
) -> tuple[str, list[tuple[Any, ...]]]:
    """``sql`` must be refused with SQLSTATE 45000 and ``prefix``; the lead tables and the audit
    must not change (seen by ``observer``, the caller by default). Returns the message and the
    details result set sent before the error."""
    observer = observer or caller
    before = observer.checksums()
    audits = observer.audit_count()
    with pytest.raises(MySQLError) as info:
        caller.execute(sql)
    assert info.value.args[0] == 1644, info.value.args
    message = str(text(info.value.args[1]))
    assert message.startswith(prefix + ":"), message
    assert observer.checksums() == before
    assert observer.audit_count() == audits
    sets = getattr(info.value, "result_sets", [])
    details = [tuple(text(v) for v in row) for row in (sets[-1] if sets else [])]
    return message, details


def held_temporary_tables(db: SyncDB, names: tuple[str, ...] = WORK_TABLES) -> list[str]:
    """Which of ``names`` this session holds as temporary tables (no base table has those
    names, so a table that answers is the session's)."""
    held = []
    for name in names:
        try:
            db.execute(f"SELECT 1 FROM `{name}` LIMIT 0")
        except MySQLError as exc:
            assert exc.args[0] == 1146, exc.args  # no such table
        else:
            held.append(name)
    return held


def is_mysql(db: SyncDB) -> bool:
    return "mariadb" not in str(text(db.value("SELECT VERSION()"))).lower()


def in_transaction(db: SyncDB) -> int:
    """Whether the session has a transaction open: @@in_transaction on MariaDB. MySQL has no
    such variable; another connection reads it from performance_schema (a query of the
    session itself would open a transaction when autocommit is off)."""
    if not is_mysql(db):
        return int(db.value("SELECT @@SESSION.in_transaction"))
    connection_id = int(db.value("SELECT CONNECTION_ID()"))
    observer = SyncDB(db.url)
    try:
        return int(
            observer.value(
                "SELECT COUNT(*) FROM performance_schema.events_transactions_current AS e"
                " INNER JOIN performance_schema.threads AS t ON t.THREAD_ID = e.THREAD_ID"
                " WHERE t.PROCESSLIST_ID = %s AND e.STATE = 'ACTIVE'",
                (connection_id,),
            )
        )
    finally:
        observer.close()


SESSION_STATE = (
    "SELECT @@SESSION.time_zone, @@SESSION.autocommit, @@SESSION.sql_safe_updates,"
    " @@SESSION.sql_big_selects, @@SESSION.group_concat_max_len,"
    " @@SESSION.max_heap_table_size, @@SESSION.completion_type, @@SESSION.sql_mode,"
    " @@SESSION.character_set_client, @@SESSION.collation_connection,"
    " @lead_archive_sql, @lead_archive_n, @lead_archive_missing, LAST_INSERT_ID()"
)


def session_state(db: SyncDB) -> tuple[Any, ...]:
    values = tuple(text(v) for v in db.execute(SESSION_STATE)[0])
    return (*values, in_transaction(db))


def assert_session_as_before(db: SyncDB, before: tuple[Any, ...]) -> None:
    """Settings, user variables, LAST_INSERT_ID(), no transaction left open, no working table,
    no prepared statement: the session as the caller left it."""
    assert session_state(db) == before
    assert held_temporary_tables(db) == []
    with pytest.raises(MySQLError) as info:
        db.execute("EXECUTE lead_archive_stmt")
    assert info.value.args[0] == 1243, info.value.args  # unknown prepared statement


def other_connection(db: SyncDB) -> SyncDB:
    return SyncDB(db.url)


@contextlib.contextmanager
def transaction(db: SyncDB) -> Iterator[None]:
    """START TRANSACTION … ROLLBACK, the ROLLBACK also when the block fails: an open
    transaction would keep the test database from being dropped."""
    db.execute("START TRANSACTION")
    try:
        yield
    finally:
        try:
            db.execute("ROLLBACK")
        except MySQLError:
            pass


def kill_query(url: DatabaseURL, connection_id: int) -> None:
    killer = SyncDB(url)
    try:
        killer.execute(f"KILL QUERY {connection_id}")
    finally:
        killer.close()


@pytest.fixture
def limited(vdb: SyncDB, admin: SyncDB) -> Iterator[SyncDB]:
    """A second account holding only EXECUTE on the two public procedures and CREATE
    TEMPORARY TABLES on the database."""
    user = f"la_tmp{uuid.uuid4().hex[:8]}"
    password = secrets.register(f"pw-{uuid.uuid4().hex}")
    admin.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
    for procedure in ("archive_leads", "dearchive_leads"):
        admin.execute(f"GRANT EXECUTE ON PROCEDURE `{vdb.name}`.{procedure} TO '{user}'@'%'")
    admin.execute(f"GRANT CREATE TEMPORARY TABLES ON `{vdb.name}`.* TO '{user}'@'%'")
    url = vdb.url
    db = SyncDB(DatabaseURL(user, password, url.host, url.port, url.database, url.unix_socket))
    try:
        yield db
    finally:
        db.close()
        admin.execute(f"DROP USER '{user}'@'%'")


def shadow(owner: SyncDB, caller: SyncDB, table: str) -> None:
    """A TEMPORARY table in ``caller``'s session with the definition of ``table``."""
    ddl = str(owner.execute(f"SHOW CREATE TABLE `{table}`")[0][1])
    caller.execute(ddl.replace("CREATE TABLE", "CREATE TEMPORARY TABLE", 1))


NEW_YORK = "America/New_York"


@pytest.fixture(scope="session")
def new_york(admin: SyncDB) -> str:
    """America/New_York in the server's time zone tables (loaded when missing)."""
    if admin.value(f"SELECT CONVERT_TZ('2021-11-07 06:30:00', '+00:00', '{NEW_YORK}')") is None:
        tool = shutil.which("mariadb-tzinfo-to-sql") or shutil.which("mysql_tzinfo_to_sql")
        zone_file = f"/usr/share/zoneinfo/{NEW_YORK}"
        if not tool or not os.path.exists(zone_file):
            pytest.skip("no time zone data to load America/New_York")
        out = subprocess.run(
            [tool, zone_file, NEW_YORK], capture_output=True, text=True, check=True
        ).stdout
        # the plain INSERTs only: the tool's wrapping statements differ between versions
        lines = out.splitlines()
        first = next(i for i, line in enumerate(lines) if line.startswith("INSERT INTO time_zone "))
        last = max(i for i, line in enumerate(lines) if line.strip() == ";")
        admin.execute("USE mysql")
        admin.script("\n".join(lines[first : last + 1]) + "\n")
    assert admin.value(f"SELECT CONVERT_TZ('2021-11-07 06:30:00', '+00:00', '{NEW_YORK}')")
    return NEW_YORK


# ------------------------------------------- 1. temporary tables hiding real ones


def test_regression_temporary_archive_table_does_not_swallow_leads(
    vdb: SyncDB, limited: SyncDB
) -> None:
    """A TEMPORARY vicidial_list_archive (and lead_archive_audit) made the DEFINER procedure
    copy into tables that vanish at disconnect, then delete the leads: gone, no audit."""
    seed_leads(vdb, 3)
    before = {i: vdb.row("vicidial_list", i) for i in (1, 2, 3)}
    shadow(vdb, limited, "vicidial_list_archive")
    shadow(vdb, limited, "lead_archive_audit")
    message, details = expect_refusal(
        limited, "CALL archive_leads('[1,2,3]', TRUE, TRUE, TRUE)", "schema_mismatch", vdb
    )
    assert "hides vicidial_list_archive" in message
    problems = [d[1] for d in details]
    assert any("hides vicidial_list_archive" in p for p in problems), problems
    assert any("hides lead_archive_audit" in p for p in problems), problems
    assert {i: vdb.row("vicidial_list", i) for i in (1, 2, 3)} == before


def test_regression_temporary_vicidial_list_does_not_swallow_restored_leads(
    vdb: SyncDB, limited: SyncDB
) -> None:
    seed_leads(vdb, 2)
    vdb.archive([1, 2])
    archived = {i: vdb.row("vicidial_list_archive", i) for i in (1, 2)}
    shadow(vdb, limited, "vicidial_list")
    _, details = expect_refusal(
        limited, "CALL dearchive_leads('[1,2]', TRUE, TRUE)", "schema_mismatch", vdb
    )
    assert details == [("", "a TEMPORARY table hides vicidial_list")]
    assert {i: vdb.row("vicidial_list_archive", i) for i in (1, 2)} == archived


@pytest.mark.parametrize("table", sorted(BUSY_TABLES))
def test_regression_empty_temporary_busy_table_does_not_hide_a_busy_lead(
    vdb: SyncDB, limited: SyncDB, table: str
) -> None:
    seed_leads(vdb, 3)
    vdb.execute(BUSY_TABLES[table][0])
    shadow(vdb, limited, table)  # empty: lead 2 would look idle
    _, details = expect_refusal(
        limited, "CALL archive_leads('[1,2,3]', TRUE, TRUE, TRUE)", "schema_mismatch", vdb
    )
    assert details == [("", f"a TEMPORARY table hides {table}")]
    assert vdb.ids("vicidial_list") == [1, 2, 3]


def test_temporary_table_of_an_unused_name_is_no_refusal(vdb: SyncDB, limited: SyncDB) -> None:
    """Only tables the call reads or writes count: dearchive reads no busy table."""
    seed_leads(vdb, 2)
    vdb.archive([1, 2])
    shadow(vdb, limited, "vicidial_hopper")
    rows = call_rows(limited, "CALL dearchive_leads('[1,2]', TRUE, TRUE)")
    assert [r[1:] for r in rows] == [(1, 0, 1, None)] * 2


# ------------------------------------------------------ 2. TIMESTAMP and time zones


def test_regression_timestamp_compares_as_its_instant_in_a_dst_zone(
    vdb_any: SyncDB, new_york: str
) -> None:
    """In America/New_York 05:30 and 06:30 UTC on 2021-11-07 both print 01:30: compared as
    text, an archive row holding the other instant counted as equal and the lead was deleted."""
    db = vdb_any
    seed_leads(db, 1)
    db.execute("SET time_zone = '+00:00'")
    db.execute("UPDATE vicidial_list SET modify_date = '2021-11-07 05:30:00' WHERE lead_id = 1")
    db.archive([1], True, False, False)
    db.execute("UPDATE vicidial_list SET modify_date = '2021-11-07 06:30:00' WHERE lead_id = 1")
    kept = db.row("vicidial_list", 1)
    db.execute(f"SET time_zone = '{new_york}'")
    assert (
        db.value(
            "SELECT COUNT(DISTINCT CAST(modify_date AS CHAR)) FROM (SELECT modify_date"
            " FROM vicidial_list UNION ALL SELECT modify_date FROM"
            " vicidial_list_archive) AS both_rows"
        )
        == 1
    )  # same text, two instants
    rows = db.archive([1], False, False, True)
    assert tuple(rows[0][1:]) == (0, 0, 0, "mismatch")
    db.execute("SET time_zone = '+00:00'")
    assert db.row("vicidial_list", 1) == kept
    db.execute(f"SET time_zone = '{new_york}'")
    rows = db.archive([1], False, True, True)
    assert tuple(rows[0][1:]) == (0, 1, 1, None)
    db.execute("SET time_zone = '+00:00'")
    assert str(db.value("SELECT modify_date FROM vicidial_list_archive")) == "2021-11-07 06:30:00"


def test_copies_keep_timestamp_instants_in_a_dst_zone(vdb_any: SyncDB, new_york: str) -> None:
    """Insert, update and the way back never shift an instant, whatever the session zone."""
    db = vdb_any
    seed_leads(db, 4)
    db.execute("SET time_zone = '+00:00'")
    instants = {1: "05:30:00", 2: "06:30:00", 3: "06:59:59", 4: "05:00:00"}
    for lead, hour in instants.items():
        db.execute(
            "UPDATE vicidial_list SET modify_date = %s WHERE lead_id = %s",
            (f"2021-11-07 {hour}", lead),
        )
    epochs = dict(db.execute("SELECT lead_id, UNIX_TIMESTAMP(modify_date) FROM vicidial_list"))
    db.execute(f"SET time_zone = '{new_york}'")
    db.archive([1, 2], True, False, False)
    db.archive([3, 4], True, False, False)
    db.execute("UPDATE vicidial_list SET status = 'X' WHERE lead_id IN (3, 4)")
    db.execute("SET time_zone = '+00:00'")
    for lead, hour in instants.items():  # the update must copy the same instants again
        db.execute(
            "UPDATE vicidial_list SET modify_date = %s WHERE lead_id = %s",
            (f"2021-11-07 {hour}", lead),
        )
    db.execute(f"SET time_zone = '{new_york}'")
    assert [r[2] for r in db.archive([3, 4], False, True, False)] == [1, 1]
    archived = dict(
        db.execute("SELECT lead_id, UNIX_TIMESTAMP(modify_date) FROM vicidial_list_archive")
    )
    assert archived == epochs
    db.archive([1, 2, 3, 4], False, False, True)
    db.dearchive([1, 2, 3, 4])
    assert dict(db.execute("SELECT lead_id, UNIX_TIMESTAMP(modify_date) FROM vicidial_list")) == (
        epochs
    )


def test_audit_time_is_the_callers_clock(vdb: SyncDB) -> None:
    """The call runs at '+00:00'; the audit row keeps the caller's local time as before."""
    seed_leads(vdb, 1)
    vdb.execute("SET time_zone = '+09:30'")
    vdb.archive([1])
    gap = vdb.value("SELECT ABS(TIMESTAMPDIFF(SECOND, called_at, NOW())) FROM lead_archive_audit")
    assert gap < 120


# ------------------------------------------------------------ 3. exact values


def test_regression_float_compares_by_its_exact_value(vdb_any: SyncDB) -> None:
    """CAST(FLOAT AS BINARY) reads 1.23457 for both 1.234567 and 1.234568: the delete took
    the archived 1.234567 for the live 1.234568."""
    db = vdb_any
    for table in ("vicidial_list", "vicidial_list_archive"):
        db.execute(f"ALTER TABLE `{table}` ADD COLUMN score FLOAT NULL")
    seed_leads(db, 1)
    db.execute("UPDATE vicidial_list SET score = 1.234567 WHERE lead_id = 1")
    db.archive([1], True, False, False)
    db.execute("UPDATE vicidial_list SET score = 1.234568 WHERE lead_id = 1")
    kept = db.row("vicidial_list", 1)
    assert tuple(db.archive([1], False, False, True)[0][1:]) == (0, 0, 0, "mismatch")
    assert db.row("vicidial_list", 1) == kept
    assert tuple(db.archive([1], False, True, True)[0][1:]) == (0, 1, 1, None)
    assert db.value("SELECT score = 1.234568e0 FROM vicidial_list_archive") == 0  # FLOAT
    assert db.value("SELECT CAST(score AS DOUBLE) > 1.2345675 FROM vicidial_list_archive") == 1


# (type, value archived, value live: the smallest difference the type can hold)
COLUMN_TYPES = [
    ("FLOAT", 1.234567, 1.234568),
    ("DOUBLE", 0.30000000000000004, 0.3),
    ("DOUBLE", 1.0, 1.0000000000000002),
    ("DECIMAL(30,10)", decimal.Decimal("1.0000000001"), decimal.Decimal("1.0000000002")),
    ("BIT(10)", b"\x02\xaa", b"\x02\xab"),
    ("JSON", '{"a": "x"}', '{"a": "X"}'),
    ("BLOB", b"a\x00b", b"a\x00c"),
    ("BLOB", b"", None),
    ("TIMESTAMP(6) NULL", "2020-01-01 00:00:00.000001", "2020-01-01 00:00:00.000002"),
    ("DATETIME(6)", "2020-01-01 00:00:00.999999", "2020-01-01 00:00:01.000000"),
    ("TIME(6)", "-00:00:00.000001", "00:00:00.000001"),
]


@pytest.mark.parametrize(
    ("sql_type", "archived", "live"),
    COLUMN_TYPES,
    ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(COLUMN_TYPES)],
)
def test_column_types_compare_and_copy_exactly(
    vdb: SyncDB, sql_type: str, archived: Any, live: Any
) -> None:
    for table in ("vicidial_list", "vicidial_list_archive"):
        vdb.execute(f"ALTER TABLE `{table}` ADD COLUMN extra {sql_type}")
    seed_leads(vdb, 2)
    vdb.execute("UPDATE vicidial_list SET extra = %s", (archived,))
    vdb.archive([1, 2], True, False, False)
    vdb.execute("UPDATE vicidial_list SET extra = %s WHERE lead_id = 1", (live,))
    newest = vdb.row("vicidial_list", 1)
    rows = vdb.archive([1, 2], False, False, True)
    assert [tuple(r[1:]) for r in rows] == [(0, 0, 0, "mismatch"), (0, 0, 1, None)]
    assert vdb.row("vicidial_list", 1) == newest
    rows = vdb.archive([1], False, True, True)
    assert tuple(rows[0][1:]) == (0, 1, 1, None)
    assert vdb.row("vicidial_list_archive", 1) == newest
    assert [tuple(r[1:]) for r in vdb.dearchive([1, 2])] == [(1, 0, 1, None)] * 2
    assert vdb.row("vicidial_list", 1) == newest


GENERATED = {
    "VIRTUAL": "INT AS (called_count * 2) VIRTUAL",
    "STORED": "VARCHAR(40) AS (CONCAT(phone_number, '/', called_count)) STORED",
}


@pytest.mark.parametrize("kind", sorted(GENERATED))
def test_generated_in_both_tables_is_compared_not_copied(vdb: SyncDB, kind: str) -> None:
    seed_leads(vdb, 2)
    for table in ("vicidial_list", "vicidial_list_archive"):
        vdb.execute(f"ALTER TABLE `{table}` ADD COLUMN gen {GENERATED[kind]}")
    before = [vdb.row("vicidial_list", i) for i in (1, 2)]
    assert [tuple(r[1:]) for r in vdb.archive([1, 2], True, False, True)] == [(1, 0, 1, None)] * 2
    assert [vdb.row("vicidial_list_archive", i) for i in (1, 2)] == before
    assert [tuple(r[1:]) for r in vdb.dearchive([1, 2])] == [(1, 0, 1, None)] * 2
    assert [vdb.row("vicidial_list", i) for i in (1, 2)] == before
    assert vdb.run(installer.check(vdb.conn)) == []


@pytest.mark.parametrize("kind", sorted(GENERATED))
def test_generated_in_vicidial_list_only_is_archived_as_a_value(vdb: SyncDB, kind: str) -> None:
    """The archive keeps the value; the way back would have to write a generated column:
    refused, and db check says so."""
    base_type = GENERATED[kind].split(" AS ")[0]
    seed_leads(vdb, 2)
    vdb.execute(f"ALTER TABLE vicidial_list ADD COLUMN gen {GENERATED[kind]}")
    vdb.execute(f"ALTER TABLE vicidial_list_archive ADD COLUMN gen {base_type}")
    before = [vdb.row("vicidial_list", i) for i in (1, 2)]
    assert [r[3] for r in vdb.archive([1, 2])] == [1, 1]
    assert [vdb.row("vicidial_list_archive", i) for i in (1, 2)] == before
    _, details = expect_refusal(vdb, "CALL dearchive_leads('[1]', TRUE, TRUE)", "schema_mismatch")
    assert details[0][0] == "gen" and "generated in vicidial_list" in details[0][1]
    problems = vdb.run(installer.check(vdb.conn))
    assert len(problems) == 1 and problems[0].startswith("dearchive: column gen:"), problems


def test_generated_in_archive_only_is_refused(vdb: SyncDB) -> None:
    vdb.execute("ALTER TABLE vicidial_list ADD COLUMN gen INT")
    vdb.execute(f"ALTER TABLE vicidial_list_archive ADD COLUMN gen {GENERATED['VIRTUAL']}")
    seed_leads(vdb, 2)
    _, details = expect_refusal(
        vdb, "CALL archive_leads('[1,2]', TRUE, TRUE, TRUE)", "schema_mismatch"
    )
    assert [d[0] for d in details] == ["gen"]


def test_generated_by_other_expressions_keeps_the_leads(vdb: SyncDB) -> None:
    """Generated in both tables, the column is not copied but compared: another expression
    in the archive shows as a mismatch."""
    seed_leads(vdb, 1)
    vdb.execute("ALTER TABLE vicidial_list ADD COLUMN gen INT AS (called_count * 2) VIRTUAL")
    vdb.execute(
        "ALTER TABLE vicidial_list_archive ADD COLUMN gen INT AS (called_count * 3 + 1) VIRTUAL"
    )
    kept = vdb.row("vicidial_list", 1)
    assert tuple(vdb.archive([1])[0][1:]) == (1, 0, 0, "mismatch")
    assert vdb.row("vicidial_list", 1) == kept


# ----------------------------------------------------------- 4. durable engines


def engine_available(admin: SyncDB, engine: str) -> bool:
    supported = {str(text(r[0])).upper(): str(text(r[1])) for r in admin.execute("SHOW ENGINES")}
    if supported.get(engine.upper()) in ("YES", "DEFAULT"):
        return True
    if engine == "BLACKHOLE" and not is_mysql(admin):
        try:  # a plugin in MariaDB's packages, not always loaded
            admin.execute("INSTALL SONAME 'ha_blackhole'")
        except MySQLError:
            return False
        return True
    return False


@pytest.mark.parametrize("engine", ["MEMORY", "BLACKHOLE"])
def test_regression_archive_that_forgets_at_restart_is_refused(
    vdb: SyncDB, admin: SyncDB, engine: str
) -> None:
    """A MEMORY archive took the leads, and a restart emptied it: in neither table."""
    if not engine_available(admin, engine):
        pytest.skip(f"{engine} is not available on this server")
    seed_leads(vdb, 2)
    vdb.execute(f"ALTER TABLE vicidial_list_archive ENGINE = {engine}")
    message, details = expect_refusal(
        vdb, "CALL archive_leads('[1,2]', TRUE, TRUE, TRUE)", "schema_mismatch"
    )
    assert f"ENGINE={engine}" in message
    assert details == [
        (
            "",
            f"vicidial_list_archive uses ENGINE={engine}, which is not known to keep its rows"
            " over a restart (InnoDB, MyISAM and Aria are)",
        )
    ]
    problems = vdb.run(installer.check(vdb.conn))
    assert any(p.startswith("archive: ") and f"ENGINE={engine}" in p for p in problems), problems
    done = run_cli("db", "check", env=cli_env(vdb), timeout=120)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert f"ENGINE={engine}" in done.stdout + done.stderr


def test_regression_vicidial_list_that_forgets_at_restart_is_refused_on_the_way_back(
    vdb: SyncDB,
) -> None:
    seed_leads(vdb, 2)
    vdb.archive([1, 2])
    vdb.execute("ALTER TABLE vicidial_list ENGINE = MEMORY")
    message, _ = expect_refusal(vdb, "CALL dearchive_leads('[1,2]', TRUE, TRUE)", "schema_mismatch")
    assert "vicidial_list uses ENGINE=MEMORY" in message
    assert any(p.startswith("dearchive: ") for p in vdb.run(installer.check(vdb.conn)))


@pytest.mark.parametrize("engine", ["InnoDB", "MyISAM", "Aria"])
def test_durable_engines_are_accepted(vdb: SyncDB, admin: SyncDB, engine: str) -> None:
    if not engine_available(admin, engine):
        pytest.skip(f"{engine} is not available on this server (MySQL has no Aria)")
    seed_leads(vdb, 2)
    vdb.execute(f"ALTER TABLE vicidial_list_archive ENGINE = {engine}")
    assert [r[3] for r in vdb.archive([1, 2])] == [1, 1]
    assert vdb.run(installer.check(vdb.conn)) == []


def test_archive_view_is_refused(vdb: SyncDB) -> None:
    seed_leads(vdb, 1)
    vdb.execute("RENAME TABLE vicidial_list_archive TO archive_data")
    vdb.execute("CREATE VIEW vicidial_list_archive AS SELECT * FROM archive_data")
    message, _ = expect_refusal(
        vdb, "CALL archive_leads('[1]', TRUE, TRUE, TRUE)", "schema_mismatch"
    )
    assert "vicidial_list_archive is a view" in message


# ------------------------------------------------------ 5. rows a write skipped

SKIPPING_ARCHIVES = {
    "unique_index": (
        "ALTER TABLE vicidial_list_archive ADD UNIQUE KEY one_phone (phone_number)",
        "UPDATE vicidial_list SET phone_number = '5550000099' WHERE lead_id IN (1, 99)",
    ),
    "check_constraint": (
        "ALTER TABLE vicidial_list_archive ADD CONSTRAINT few_calls CHECK (called_count < 1000)",
        "UPDATE vicidial_list SET called_count = 5000 WHERE lead_id = 1",
    ),
    "partition": (
        "ALTER TABLE vicidial_list_archive PARTITION BY RANGE (lead_id)"
        " (PARTITION below_100 VALUES LESS THAN (100))",
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(SKIPPING_ARCHIVES))
def test_regression_insert_skipped_by_the_archive_is_not_reported_inserted(
    vdb: SyncDB, case: str
) -> None:
    """INSERT IGNORE skipped the row (another unique key, a CHECK, no partition for the id)
    and the call still said inserted, in the rows, the counts and the audit."""
    alter, setup = SKIPPING_ARCHIVES[case]
    rng = random.Random(5)
    insert_leads(vdb, [make_lead(i, rng) for i in (1, 2, 99, 150)])
    if setup:
        vdb.execute(setup)
    vdb.archive([99], True, False, True)
    if case == "partition" and is_mysql(vdb):
        vdb.execute("ALTER TABLE vicidial_list_archive ENGINE = InnoDB")  # MySQL: InnoDB only
    vdb.execute(alter)
    lead = 150 if case == "partition" else 1
    kept = vdb.row("vicidial_list", lead)
    rows = vdb.archive([lead, 2])
    assert [tuple(r[1:]) for r in rows] == [(0, 0, 0, "not_archived"), (1, 0, 1, None)]
    assert vdb.row("vicidial_list", lead) == kept
    assert vdb.row("vicidial_list_archive", lead) is None
    audit = vdb.execute(
        "SELECT select_count, insert_count, delete_count, kept_count FROM lead_archive_audit"
        " ORDER BY audit_id DESC LIMIT 1"
    )
    assert audit == [(2, 1, 1, 1)]


def test_regression_update_skipped_by_the_archive_is_not_reported_updated(vdb: SyncDB) -> None:
    """An update the archive cannot take (another unique key) leaves the lead in place as a
    mismatch instead of failing the call half way."""
    seed_leads(vdb, 3)
    vdb.archive([1, 2, 3], True, False, False)
    vdb.execute("ALTER TABLE vicidial_list_archive ADD UNIQUE KEY one_phone (phone_number)")
    phone = vdb.value("SELECT phone_number FROM vicidial_list_archive WHERE lead_id = 3")
    vdb.execute("UPDATE vicidial_list SET phone_number = %s WHERE lead_id = 1", (phone,))
    vdb.execute("UPDATE vicidial_list SET comments = 'newer' WHERE lead_id = 2")
    kept = vdb.row("vicidial_list", 1)
    rows = vdb.archive([1, 2])
    assert [tuple(r[1:]) for r in rows] == [(0, 0, 0, "mismatch"), (0, 1, 1, None)]
    assert vdb.row("vicidial_list", 1) == kept
    assert vdb.execute(
        "SELECT update_count, delete_count, kept_count FROM lead_archive_audit"
        " ORDER BY audit_id DESC LIMIT 1"
    ) == [(1, 1, 1)]


# ---------------------------------------------- 6. transactions and session settings


def test_regression_call_inside_an_open_transaction_is_refused(vdb_any: SyncDB) -> None:
    """Error 1568 half way (or, logging statements, a silent COMMIT of the caller's work)."""
    db = vdb_any
    seed_leads(db, 2)
    db.execute("CREATE TABLE callers_work (n INT) ENGINE = InnoDB")
    watcher = other_connection(db)
    try:
        before = watcher.checksums()
        with transaction(db):
            db.execute("INSERT INTO callers_work VALUES (1)")
            with pytest.raises(MySQLError) as info:
                db.execute("CALL archive_leads('[1,2]', TRUE, TRUE, TRUE)")
            assert info.value.args[0] == 1644, info.value.args
            assert str(info.value.args[1]).startswith("caller_in_transaction:"), info.value.args
            assert in_transaction(db) == 1
            assert watcher.value("SELECT COUNT(*) FROM callers_work") == 0  # not committed
        assert db.value("SELECT COUNT(*) FROM callers_work") == 0  # the caller's to roll back
        assert watcher.checksums() == before
        assert watcher.audit_count() == 0
        with transaction(db):
            with pytest.raises(MySQLError) as info:
                db.execute("CALL dearchive_leads('[1]', TRUE, TRUE)")
            assert str(info.value.args[1]).startswith("caller_in_transaction:"), info.value.args
    finally:
        watcher.close()
    assert [r[3] for r in db.archive([1, 2])] == [1, 1]


@pytest.fixture
def statement_binlog_db(mariadb_version: str) -> Iterator[SyncDB]:
    """A server of the version under test logging statements (binlog_format=STATEMENT)."""
    if os.environ.get("LEAD_ARCHIVE_TEST_DSN"):
        pytest.skip("needs a private server")
    binaries = mariadb_versions.cached(mariadb_version)
    if binaries is None:
        pytest.skip(f"MariaDB {mariadb_version} is not available here")
    server = binaries.server(
        "--log-bin=primary-bin",
        "--server-id=1",
        "--binlog-format=statement",
        # MySQL: statement logging of temporary tables needs GTIDs off
        *(
            ("--gtid-mode=OFF", "--enforce-gtid-consistency=OFF")
            if binaries.flavor == "mysql"
            else ()
        ),
    ).start()
    try:
        root = SyncDB(server.url("mysql"))
        root.execute("CREATE DATABASE asterisk CHARACTER SET utf8mb3 COLLATE utf8mb3_unicode_ci")
        root.close()
        db = SyncDB(server.url("asterisk"))
        build_vicidial(db, engine="InnoDB")
        yield db
        db.close()
    finally:
        server.stop()


def test_regression_statement_binlog_does_not_commit_the_callers_transaction(
    statement_binlog_db: SyncDB,
) -> None:
    db = statement_binlog_db
    assert db.value("SELECT @@GLOBAL.log_bin") == 1
    seed_leads(db, 2)
    db.execute("CREATE TABLE callers_work (n INT) ENGINE = InnoDB")
    with transaction(db):
        db.execute("INSERT INTO callers_work VALUES (1)")
        with pytest.raises(MySQLError) as info:
            db.execute("CALL archive_leads('[1,2]', TRUE, TRUE, TRUE)")
        assert str(info.value.args[1]).startswith("caller_in_transaction:"), info.value.args
    assert db.value("SELECT COUNT(*) FROM callers_work") == 0
    assert db.ids("vicidial_list") == [1, 2]
    assert [r[3] for r in db.archive([1, 2])] == [1, 1]  # outside a transaction it works


def test_regression_safe_updates_session_archives_completely(vdb: SyncDB) -> None:
    """sql_safe_updates=1 failed with 1175 after the insert had run."""
    seed_leads(vdb, 3)
    vdb.archive([3], True, False, False)
    vdb.execute("SET sql_safe_updates = 1")
    rows = vdb.archive([1, 2, 3])
    assert [tuple(r[1:]) for r in rows] == [(1, 0, 1, None), (1, 0, 1, None), (0, 0, 1, None)]
    assert vdb.value("SELECT @@sql_safe_updates") == 1
    assert [tuple(r[1:]) for r in vdb.dearchive([1, 2, 3])] == [(1, 0, 1, None)] * 3


@pytest.mark.parametrize("completion_type", ["CHAIN", "RELEASE"])
def test_regression_completion_type_neither_chains_nor_disconnects(
    vdb_any: SyncDB, completion_type: str
) -> None:
    """The call's COMMIT followed the caller's completion_type: CHAIN left the session inside
    a new transaction, RELEASE closed the connection."""
    db = vdb_any
    seed_leads(db, 2)
    db.execute(f"SET completion_type = '{completion_type}'")
    assert [r[3] for r in db.archive([1])] == [1]
    assert (db.value("SELECT @@completion_type"), in_transaction(db)) == (completion_type, 0)
    with pytest.raises(MySQLError):
        db.execute("CALL archive_leads('[1]', TRUE, TRUE, TRUE)")  # leads_not_found, rolled back
    assert (db.value("SELECT @@completion_type"), in_transaction(db)) == (completion_type, 0)
    assert [r[3] for r in db.archive([2])] == [1]


def test_autocommit_off_works_and_leaves_no_transaction(vdb_any: SyncDB) -> None:
    db = vdb_any
    seed_leads(db, 3)
    db.execute("SET autocommit = 0")
    assert [r[3] for r in db.archive([1])] == [1]
    assert (db.value("SELECT @@autocommit"), in_transaction(db)) == (0, 0)
    with pytest.raises(MySQLError):
        db.execute("CALL archive_leads('[1]', TRUE, TRUE, TRUE)")  # refused: leads_not_found
    assert (db.value("SELECT @@autocommit"), in_transaction(db)) == (0, 0)
    assert [r[3] for r in db.archive([2])] == [1]
    assert [r[3] for r in db.dearchive([1, 2])] == [1, 1]
    db.execute("SET autocommit = 1")
    assert db.ids("vicidial_list") == [1, 2, 3]


# ------------------------------------------------------- 7. the session as it was


def prepare_session(db: SyncDB) -> tuple[Any, ...]:
    db.execute("SET @lead_archive_sql = 'mine', @lead_archive_n = 7")
    db.execute(
        "SET time_zone = '+05:00', group_concat_max_len = 4, sql_safe_updates = 1,"
        " max_heap_table_size = 16384, sql_big_selects = 0"
    )
    db.execute("SELECT LAST_INSERT_ID(77)")
    return session_state(db)


def test_regression_session_is_left_as_it_was(vdb: SyncDB) -> None:
    """The working tables, the @lead_archive_ variables, the settings the call changed and the
    prepared statement stayed in the caller's session."""
    seed_leads(vdb, 4)
    before = prepare_session(vdb)
    assert [r[3] for r in vdb.archive([1, 2])] == [1, 1]
    assert_session_as_before(vdb, before)
    for sql, code in [
        ("CALL archive_leads('[1]', TRUE, TRUE, TRUE)", "leads_not_found"),
        ("CALL archive_leads('[3,3]', TRUE, TRUE, TRUE)", "duplicate_lead_ids"),
        ("CALL archive_leads('[x]', TRUE, TRUE, TRUE)", "invalid_lead_ids"),
        ("CALL dearchive_leads('[3]', TRUE, TRUE)", "leads_not_found"),
    ]:
        expect_refusal(vdb, sql, code)
        assert_session_as_before(vdb, before)
    vdb.execute("ALTER TABLE vicidial_list_archive DROP COLUMN entry_list_id")
    expect_refusal(vdb, "CALL archive_leads('[3]', TRUE, TRUE, TRUE)", "schema_mismatch")
    assert_session_as_before(vdb, before)
    vdb.run(installer.check(vdb.conn))
    assert_session_as_before(vdb, before)
    with transaction(vdb):
        expect_refusal(vdb, "CALL archive_leads('[3]', TRUE, TRUE, TRUE)", "caller_in_transaction")
    assert_session_as_before(vdb, before)


def test_refused_call_leaves_the_callers_isolation_level(vdb_any: SyncDB) -> None:
    """The call sets the isolation level of its own transaction; refused before that
    transaction began, it must not hand the level on to the caller's next one."""
    db = vdb_any
    seed_leads(db, 1)
    db.execute("CREATE TABLE callers_work (n INT) ENGINE = InnoDB")
    db.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED")
    db.execute("ALTER TABLE vicidial_list_archive DROP COLUMN entry_list_id")
    expect_refusal(db, "CALL archive_leads('[1]', TRUE, TRUE, TRUE)", "schema_mismatch")
    with transaction(db):
        db.execute("SELECT COUNT(*) FROM callers_work FOR UPDATE")
        # INNODB_TRX is a cache the server refreshes at most every 0.1 s
        for _ in range(40):
            level = db.value(
                "SELECT trx_isolation_level FROM information_schema.INNODB_TRX"
                " WHERE trx_mysql_thread_id = CONNECTION_ID()"
            )
            if level is not None:
                break
            time.sleep(0.05)
    assert level == "READ UNCOMMITTED"


@pytest.mark.parametrize("name", WORK_TABLES)
def test_regression_callers_table_with_a_working_name_is_never_dropped(
    vdb: SyncDB, name: str
) -> None:
    """DROP TEMPORARY TABLE IF EXISTS of a working table dropped the caller's own table."""
    seed_leads(vdb, 1)
    vdb.execute(f"CREATE TEMPORARY TABLE `{name}` (mine VARCHAR(10))")
    vdb.execute(f"INSERT INTO `{name}` VALUES ('keep me')")
    call = (
        "CALL lead_archive_check()"
        if name == "lead_archive_check_report"
        else "CALL archive_leads('[1]', TRUE, TRUE, TRUE)"
    )
    message, details = expect_refusal(vdb, call, "schema_mismatch")
    assert name in message and details == [("", message.split(": ", 1)[1])]
    assert vdb.execute(f"SELECT mine FROM `{name}`") == [("keep me",)]
    held = set(held_temporary_tables(vdb))
    assert held == {name}  # the call's own working tables are gone
    vdb.execute(f"DROP TEMPORARY TABLE `{name}`")
    assert [r[3] for r in vdb.archive([1])] == [1]


def test_working_tables_left_by_a_killed_call_are_reclaimed(vdb: SyncDB) -> None:
    """A call killed mid-way cannot clean up; its tables carry lead_archive_work and the next
    call drops them."""
    seed_leads(vdb, 2)
    for name in WORK_TABLES[:4]:
        vdb.execute(f"CREATE TEMPORARY TABLE `{name}` (lead_archive_work TINYINT)")
    assert [r[3] for r in vdb.archive([1])] == [1]
    assert held_temporary_tables(vdb) == []
    vdb.execute("CREATE TEMPORARY TABLE lead_archive_check_report (lead_archive_work TINYINT)")
    assert vdb.run(installer.check(vdb.conn)) == []
    assert held_temporary_tables(vdb) == []


def test_killed_call_leaves_a_session_the_next_call_works_in(vdb: SyncDB, admin: SyncDB) -> None:
    """KILL QUERY during a call (a lock wait here): no handler runs; the next call works."""
    seed_leads(vdb, 2)
    blocker = other_connection(vdb)
    try:
        blocker.execute("SELECT GET_LOCK(CONCAT('lead_archive_move.', DATABASE()), 0)")
        connection_id = vdb.value("SELECT CONNECTION_ID()")
        timer = threading.Timer(1.0, kill_query, (admin.url, int(connection_id)))
        timer.start()
        with pytest.raises(MySQLError) as info:
            vdb.archive([1])
        timer.join()
        assert info.value.args[0] == 1317, info.value.args  # interrupted
        blocker.execute("DO RELEASE_LOCK(CONCAT('lead_archive_move.', DATABASE()))")
    finally:
        blocker.close()
    assert [r[3] for r in vdb.archive([1, 2])] == [1, 1]
    assert held_temporary_tables(vdb) == []


# ----------------------------------------------------------------- 8. reused ids


def reuse_id(db: SyncDB, lead_id: int, entry_date: object, table: str = "vicidial_list") -> None:
    """Another lead under ``lead_id`` in ``table``."""
    lead = make_lead(lead_id, random.Random(lead_id + 1000))
    lead.update(entry_date=entry_date, first_name="Someone", last_name="Else")
    insert_leads(db, [lead], table=table)


def test_regression_reused_id_is_never_updated_over_or_deleted(vdb_any: SyncDB) -> None:
    """An id that came back after its lead was archived names another person: the update
    overwrote the archived lead and the delete then removed the new one."""
    db = vdb_any
    seed_leads(db, 3)
    db.execute(
        "UPDATE vicidial_list SET entry_date = '2019-05-05 10:00:00' WHERE lead_id IN (1, 2)"
    )
    db.archive([1, 2, 3])
    archived = db.row("vicidial_list_archive", 1)
    reuse_id(db, 1, dt.datetime(2024, 1, 1, 9, 0))
    reuse_id(db, 2, None)  # NULL against the archived value: another lead too
    live = {i: db.row("vicidial_list", i) for i in (1, 2)}
    rows = db.archive([1, 2])
    assert [tuple(r[1:]) for r in rows] == [(0, 0, 0, "id_conflict")] * 2
    assert db.row("vicidial_list_archive", 1) == archived
    assert {i: db.row("vicidial_list", i) for i in (1, 2)} == live
    assert db.execute(
        "SELECT insert_count, update_count, delete_count, kept_count FROM lead_archive_audit"
        " ORDER BY audit_id DESC LIMIT 1"
    ) == [(0, 0, 0, 2)]
    for flags in [(True, False, False), (False, True, False), (False, False, True)]:
        rows = db.archive([1], *flags)
        assert tuple(rows[0][1:]) == (0, 0, 0, "id_conflict"), flags


def test_regression_reused_id_is_never_deleted_from_the_archive(vdb_any: SyncDB) -> None:
    db = vdb_any
    seed_leads(db, 2)
    db.execute("UPDATE vicidial_list SET entry_date = NULL WHERE lead_id = 1")
    db.archive([1, 2])
    archived = db.row("vicidial_list_archive", 1)
    reuse_id(db, 1, dt.datetime(2024, 1, 1, 9, 0))
    rows = db.dearchive([1, 2])
    assert [tuple(r[1:]) for r in rows] == [(0, 0, 0, "id_conflict"), (1, 0, 1, None)]
    assert db.row("vicidial_list_archive", 1) == archived


def test_same_entry_date_is_the_same_lead(vdb: SyncDB) -> None:
    """NULL-safe: NULL and NULL, or equal dates, are one lead whose other columns changed."""
    seed_leads(vdb, 2)
    vdb.execute("UPDATE vicidial_list SET entry_date = NULL WHERE lead_id = 1")
    vdb.archive([1, 2], True, False, False)
    vdb.execute("UPDATE vicidial_list SET first_name = 'Changed'")
    rows = vdb.archive([1, 2])
    assert [tuple(r[1:]) for r in rows] == [(0, 1, 1, None)] * 2


# ----------------------------------------------------------- 9. leads in flight


def busy_case(db: SyncDB, table: str, status_sql: str) -> list[tuple[Any, ...]]:
    seed_leads(db, 3)
    db.execute(status_sql)
    rows = db.archive([1, 2, 3])
    return [(r[0], r[1], r[3], r[4]) for r in rows]


KEPT_BUSY = [(1, 1, 1, None), (2, 1, 0, "busy"), (3, 1, 1, None)]
NOT_BUSY = [(1, 1, 1, None), (2, 1, 1, None), (3, 1, 1, None)]


@pytest.mark.parametrize("status", ["NEW", "LIVE", "SENDING"])
def test_regression_queued_inbound_callback_is_busy(vdb_any: SyncDB, status: str) -> None:
    sql = (
        "INSERT INTO vicidial_inbound_callback_queue (lead_id, group_id, icbq_status)"
        f" VALUES (2, 'SALES', '{status}')"
    )
    assert busy_case(vdb_any, "vicidial_inbound_callback_queue", sql) == KEPT_BUSY
    assert vdb_any.ids("vicidial_list") == [2]


@pytest.mark.parametrize("status", ["NEW", "QUEUE", "PROCESSING"])
def test_regression_abandon_check_in_progress_is_busy(vdb_any: SyncDB, status: str) -> None:
    sql = f"INSERT INTO vicidial_abandon_check_queue (lead_id, check_status) VALUES (2, '{status}')"
    assert busy_case(vdb_any, "vicidial_abandon_check_queue", sql) == KEPT_BUSY


def test_regression_shared_drop_is_busy(vdb_any: SyncDB) -> None:
    assert busy_case(vdb_any, "vicidial_shared_drops", BUSY_TABLES["vicidial_shared_drops"][0]) == (
        KEPT_BUSY
    )


def test_regression_hci_reserved_lead_is_busy(vdb_any: SyncDB) -> None:
    assert busy_case(vdb_any, "vicidial_hci_reserve", BUSY_TABLES["vicidial_hci_reserve"][0]) == (
        KEPT_BUSY
    )


@pytest.mark.parametrize(
    "table", [t for t, (_, idle) in sorted(BUSY_TABLES.items()) if idle is not None]
)
def test_finished_rows_do_not_make_a_lead_busy(vdb: SyncDB, table: str) -> None:
    idle = BUSY_TABLES[table][1]
    assert idle is not None
    assert busy_case(vdb, table, idle) == NOT_BUSY


def test_every_busy_table_is_optional(vdb: SyncDB) -> None:
    seed_leads(vdb, 2)
    for table in BUSY_TABLES:
        vdb.execute(f"DROP TABLE `{table}`")
    assert [r[3] for r in vdb.archive([1, 2])] == [1, 1]
    assert vdb.run(installer.check(vdb.conn)) == []


# ------------------------------------------------------------------ the matrix

# Extra columns of every kind, in both tables; generated ones are generated in both.
TYPED_COLUMNS = [
    ("c_float", "FLOAT NULL"),
    ("c_double", "DOUBLE NULL"),
    ("c_decimal", "DECIMAL(20,10) NULL"),
    ("c_bit", "BIT(10) NULL"),
    ("c_json", "JSON NULL"),
    ("c_blob", "BLOB NULL"),
    ("c_ts6", "TIMESTAMP(6) NULL DEFAULT NULL"),
    ("c_dt6", "DATETIME(6) NULL"),
    ("c_virtual", "INT AS (called_count * 2) VIRTUAL"),
    ("c_stored", "VARCHAR(40) AS (CONCAT(phone_number, '/', called_count)) STORED"),
]
# lead -> (column, archived value, live value): the smallest difference of each type. Leads
# 2-10 differ from their archived copy in that one column only.
SMALL_DIFFERENCES: dict[int, tuple[str, object, object]] = {
    2: ("c_float", 1.234567, 1.234568),
    3: ("c_double", 1.0, 1.0000000000000002),
    4: ("c_decimal", decimal.Decimal("0.0000000001"), decimal.Decimal("0.0000000002")),
    5: ("c_bit", b"\x00\x01", b"\x00\x03"),
    6: ("c_json", '{"a": "x"}', '{"a": "X"}'),
    7: ("c_blob", b"\x00\xff", b"\x00\xfe"),
    8: ("c_ts6", "2021-11-07 05:30:00.000001", "2021-11-07 06:30:00.000001"),
    9: ("c_dt6", "2020-02-29 23:59:59.999999", "2020-03-01 00:00:00.000000"),
    10: ("last_name", "Smith", "SMITH"),
}


@dataclass
class Setting:
    """One combination of session settings the caller applies before calling."""

    name: str
    engine: str
    statements: list[str]
    zone: str | None = None  # a named zone the test loads first
    expected: dict[str, Any] = field(default_factory=dict)


MATRIX = [
    Setting("utc-autocommit-myisam", "MyISAM", ["SET time_zone = '+00:00'"]),
    Setting(
        "newyork-autocommit0-safeupdates-innodb",
        "InnoDB",
        ["SET time_zone = 'America/New_York'", "SET autocommit = 0", "SET sql_safe_updates = 1"],
        zone=NEW_YORK,
    ),
    Setting(
        "newyork-ansi-latin1-myisam",
        "MyISAM",
        ["SET time_zone = 'America/New_York'", "SET sql_mode = 'ANSI'", "SET NAMES latin1"],
        zone=NEW_YORK,
    ),
    Setting(
        "oracle-binary-autocommit0-innodb",
        "InnoDB",
        ["SET sql_mode = 'ORACLE'", "SET NAMES binary", "SET autocommit = 0"],
    ),
    Setting(
        "padchar-nobackslash-utf8mb4bin-safeupdates-myisam",
        "MyISAM",
        [
            "SET sql_mode = 'PAD_CHAR_TO_FULL_LENGTH,NO_BACKSLASH_ESCAPES'",
            "SET NAMES utf8mb4 COLLATE utf8mb4_bin",
            "SET sql_safe_updates = 1",
            "SET time_zone = '+12:45'",
        ],
    ),
    Setting(
        "traditional-latin1bin-selectlimit-chain-innodb",
        "InnoDB",
        [
            "SET sql_mode = 'TRADITIONAL,ANSI_QUOTES,NO_BACKSLASH_ESCAPES'",
            "SET character_set_client = latin1, collation_connection = latin1_bin",
            "SET sql_select_limit = 1, max_join_size = 2, sql_auto_is_null = 1",
            "SET completion_type = 'CHAIN'",
            "SET time_zone = 'America/New_York'",
        ],
        zone=NEW_YORK,
    ),
    Setting(
        "release-tinylimits-autocommit0-myisam",
        "MyISAM",
        [
            "SET completion_type = 'RELEASE'",
            "SET autocommit = 0",
            "SET group_concat_max_len = 4, max_heap_table_size = 16384",
            "SET sql_mode = ''",
        ],
    ),
    Setting(
        "ansi-binary-safeupdates-autocommit0-aria",
        "Aria",
        [
            "SET sql_mode = 'ANSI,ONLY_FULL_GROUP_BY'",
            "SET NAMES binary",
            "SET sql_safe_updates = 1, autocommit = 0",
            "SET time_zone = '-09:30'",
        ],
    ),
]


# What MySQL lacks, and the nearest it has: no ORACLE sql_mode, no Aria.
ON_MYSQL = {
    "SET sql_mode = 'ORACLE'": "SET sql_mode = 'ANSI,NO_BACKSLASH_ESCAPES,NO_ZERO_DATE'",
    "Aria": "InnoDB",
}


def add_typed_columns(db: SyncDB) -> None:
    for table in ("vicidial_list", "vicidial_list_archive"):
        adds = ", ".join(f"ADD COLUMN {name} {sql}" for name, sql in TYPED_COLUMNS)
        db.execute(f"ALTER TABLE `{table}` {adds}")


def fill_typed_columns(db: SyncDB, ids: list[int]) -> None:
    """Typical values for every lead; then each lead of SMALL_DIFFERENCES gets its archived
    value."""
    db.execute("SET time_zone = '+00:00'")
    db.execute(
        "UPDATE vicidial_list SET c_float = lead_id / 7, c_double = lead_id / 3,"
        " c_decimal = lead_id / 9, c_bit = lead_id, c_json = JSON_OBJECT('id', lead_id),"
        " c_blob = UNHEX(SHA2(lead_id, 256)), c_ts6 = '2021-11-07 05:59:59.5',"
        " c_dt6 = '2021-11-07 01:30:00.25'"
    )
    for lead, (column, archived, _) in SMALL_DIFFERENCES.items():
        db.execute(f"UPDATE vicidial_list SET `{column}` = %s WHERE lead_id = %s", (archived, lead))


def apply_differences(db: SyncDB) -> None:
    db.execute("SET time_zone = '+00:00'")
    for lead, (column, _, live) in SMALL_DIFFERENCES.items():
        db.execute(f"UPDATE vicidial_list SET `{column}` = %s WHERE lead_id = %s", (live, lead))


@pytest.fixture(params=MATRIX, ids=[s.name for s in MATRIX])
def setting(request: pytest.FixtureRequest, admin: SyncDB) -> Setting:
    chosen: Setting = request.param
    if chosen.zone:
        request.getfixturevalue("new_york")
    return chosen


def test_procedures_under_session_settings_and_column_types(
    empty_db: SyncDB, setting: Setting
) -> None:
    """Archive with every flag, the byte-exact delete, busy leads, refusals and the way back,
    called from a session with the settings of ``setting`` on tables carrying every column
    type; after every call the caller's session is as it was."""
    owner = empty_db
    engine, statements = setting.engine, setting.statements
    if is_mysql(owner):
        engine = ON_MYSQL.get(engine, engine)
        statements = [ON_MYSQL.get(statement, statement) for statement in statements]
    build_vicidial(owner, engine=engine)
    ids = seed_leads(owner, 14, seed=23)
    add_typed_columns(owner)
    fill_typed_columns(owner, ids)
    owner.execute("INSERT INTO vicidial_hopper (lead_id, list_id) VALUES (11, 101)")
    owner.execute(
        "INSERT INTO vicidial_inbound_callback_queue (lead_id, group_id, icbq_status)"
        " VALUES (12, 'SALES', 'LIVE')"
    )
    original = {i: owner.row("vicidial_list", i) for i in ids}

    caller = other_connection(owner)
    try:
        for statement in statements:
            caller.execute(statement)
        caller.execute("SET @lead_archive_n = 'caller''s'")
        state = session_state(caller)

        def call(sql: str) -> list[tuple[Any, ...]]:
            rows = call_rows(caller, sql)
            assert_session_as_before(caller, state)
            return rows

        def refuse(sql: str, code: str) -> None:
            expect_refusal(caller, sql, code, owner)
            assert_session_as_before(caller, state)

        # insert only: byte-exact copies
        rows = call("CALL archive_leads('[1,2,3,4,5,6,7,8,9,10]', TRUE, FALSE, FALSE)")
        assert [r[1:] for r in rows] == [(1, 0, 0, None)] * 10
        assert {i: owner.row("vicidial_list_archive", i) for i in range(1, 11)} == {
            i: original[i] for i in range(1, 11)
        }
        apply_differences(owner)
        newest = {i: owner.row("vicidial_list", i) for i in ids}

        # byte-exact delete: only lead 1 is identical
        rows = call("CALL archive_leads('[1,2,3,4,5,6,7,8,9,10]', FALSE, FALSE, TRUE)")
        assert rows == [(1, 0, 0, 1, None)] + [(i, 0, 0, 0, "mismatch") for i in range(2, 11)]
        assert {i: owner.row("vicidial_list", i) for i in range(2, 11)} == {
            i: newest[i] for i in range(2, 11)
        }

        # every flag: updates, inserts, busy leads kept
        rows = call("CALL archive_leads('[2,3,4,5,6,7,8,9,10,11,12,13]', TRUE, TRUE, TRUE)")
        assert rows == (
            [(i, 0, 1, 1, None) for i in range(2, 11)]
            + [(11, 1, 0, 0, "busy"), (12, 1, 0, 0, "busy"), (13, 1, 0, 1, None)]
        )
        assert {i: owner.row("vicidial_list_archive", i) for i in range(2, 14)} == {
            i: newest[i] for i in range(2, 14)
        }

        # refusals change nothing
        refuse("CALL archive_leads('[14,14]', TRUE, TRUE, TRUE)", "duplicate_lead_ids")
        refuse("CALL archive_leads('[14,1]', TRUE, TRUE, TRUE)", "leads_not_found")
        refuse("CALL archive_leads('[14.0]', TRUE, TRUE, TRUE)", "invalid_lead_ids")
        refuse("CALL dearchive_leads('[14]', TRUE, TRUE)", "leads_not_found")
        # (MySQL opens a transaction for CREATE TEMPORARY TABLE when autocommit is off: the
        # caller ends it, or the call is refused as caller_in_transaction)
        caller.execute("CREATE TEMPORARY TABLE vicidial_hopper (lead_id INT) ENGINE = MEMORY")
        caller.execute("COMMIT AND NO CHAIN NO RELEASE")
        refuse("CALL archive_leads('[14]', TRUE, TRUE, TRUE)", "schema_mismatch")
        caller.execute("DROP TEMPORARY TABLE vicidial_hopper")
        caller.execute("COMMIT AND NO CHAIN NO RELEASE")
        owner.execute("ALTER TABLE vicidial_list_archive MODIFY c_float DOUBLE NULL")
        refuse("CALL archive_leads('[14]', TRUE, TRUE, TRUE)", "schema_mismatch")
        owner.execute("ALTER TABLE vicidial_list_archive MODIFY c_float FLOAT NULL")

        # the way back, byte for byte
        rows = call("CALL dearchive_leads('[1,2,3,4,5,6,7,8,9,10,13]', TRUE, TRUE)")
        assert [r[1:] for r in rows] == [(1, 0, 1, None)] * 11
        assert {i: owner.row("vicidial_list", i) for i in ids} == newest
        assert owner.ids("vicidial_list_archive") == [11, 12]
        assert owner.value("SELECT COUNT(*) FROM lead_archive_audit") == 4
    finally:
        caller.close()


# ------------------------------------------------------------- over HTTP


def test_http_answers_for_engines_reused_ids_and_leads_in_flight(vdb: SyncDB) -> None:
    """The same core behind POST /vicidial/leads/archive: a non-durable archive is a 409
    schema_mismatch naming the engine; a reused id and a lead in flight are kept."""
    from tests.support.apptools import CONTRACT_BODY, Api

    seed_leads(vdb, 4)
    vdb.execute("UPDATE vicidial_list SET entry_date = '2019-05-05 10:00:00' WHERE lead_id = 1")
    vdb.archive([1])
    reuse_id(vdb, 1, dt.datetime(2024, 1, 1, 9, 0))
    vdb.execute(BUSY_TABLES["vicidial_shared_drops"][0])
    api = Api(vdb)
    try:
        vdb.execute("ALTER TABLE vicidial_list_archive ENGINE = MEMORY")
        before = vdb.checksums()
        response = api.post({**CONTRACT_BODY, "lead_ids": [1, 2, 3]})
        assert response.status_code == 409, response.text
        data = response.json()
        assert data["code"] == "schema_mismatch"
        assert data["message"] == "vicidial_list_archive does not match vicidial_list"
        assert any("ENGINE=MEMORY" in c["problem"] for c in data["columns"]), data
        assert vdb.checksums() == before
        vdb.execute("ALTER TABLE vicidial_list_archive ENGINE = MyISAM")
        response = api.post({**CONTRACT_BODY, "lead_ids": [1, 2, 3]})
        assert response.status_code == 200, response.text
        data = response.json()
        assert [(r["lead_id"], r["reason"]) for r in data["leads"]] == [
            (1, "id_conflict"),
            (2, "busy"),
            (3, None),
        ]
        assert (data["insert_count"], data["delete_count"], data["kept_count"]) == (2, 1, 2)
    finally:
        api.close()
