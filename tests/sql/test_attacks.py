"""Attacks on the zero-loss promise: hostile sessions, unusual schemas, careless clients.
Each way found to lose a lead, to report a wrong count or flag, to leave the session changed
or to make a refused call write something is a ``test_regression_…``."""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

import pytest
from asyncmy.errors import MySQLError

from gateway.admin import installer
from gateway.dburl import DatabaseURL
from tests.support import mariadb_versions, secrets
from tests.support.dbtools import SyncDB, build_vicidial, seed_leads


def text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes | bytearray) else value


def is_mysql(db: SyncDB) -> bool:
    return "mariadb" not in str(text(db.value("SELECT VERSION()"))).lower()


def flags(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(text(v) for v in r) for r in rows]


def lead_everywhere(db: SyncDB, lead_id: int) -> tuple[Any, Any]:
    return db.row("vicidial_list", lead_id), db.row("vicidial_list_archive", lead_id)


def test_regression_archive_cascading_from_vicidial_list_is_refused(vdb_any: SyncDB) -> None:
    """The archive's lead_id references vicidial_list ON DELETE CASCADE: the verified delete
    from vicidial_list took the archived copy with it."""
    db = vdb_any
    if "InnoDB" not in str(
        db.value(
            "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
            " AND TABLE_NAME = 'vicidial_list'"
        )
    ):
        pytest.skip("foreign keys need InnoDB")
    seed_leads(db, 2)
    db.execute("ALTER TABLE vicidial_list_archive ENGINE = InnoDB")
    db.execute(
        "ALTER TABLE vicidial_list_archive ADD CONSTRAINT archived_lead FOREIGN KEY (lead_id)"
        " REFERENCES vicidial_list (lead_id) ON DELETE CASCADE"
    )
    before = db.row("vicidial_list", 1)
    try:
        db.archive([1])
    except MySQLError as exc:
        assert exc.args[0] == 1644 and "schema_mismatch" in str(text(exc.args[1]))
    source, archived = lead_everywhere(db, 1)
    assert source == before or archived == before


def test_regression_vicidial_list_view_hiding_columns_is_refused(vdb: SyncDB) -> None:
    """vicidial_list as a view over the real table that leaves out a column: the copy and the
    comparison saw only the view's columns and the delete went through to the real row."""
    seed_leads(vdb, 2)
    vdb.execute("UPDATE vicidial_list SET comments = 'only here' WHERE lead_id = 1")
    vdb.execute("RENAME TABLE vicidial_list TO vicidial_list_real")
    cols = [c for c in vdb.columns("vicidial_list_real") if c != "comments"]
    vdb.execute(
        "CREATE VIEW vicidial_list AS SELECT "
        + ", ".join(f"`{c}`" for c in cols)
        + " FROM vicidial_list_real"
    )
    vdb.execute("ALTER TABLE vicidial_list_archive MODIFY comments VARCHAR(255) NULL")
    try:
        vdb.archive([1])
    except MySQLError as exc:
        assert exc.args[0] == 1644
    real = vdb.value("SELECT COUNT(*) FROM vicidial_list_real WHERE comments = 'only here'")
    arch = vdb.value("SELECT COUNT(*) FROM vicidial_list_archive WHERE comments = 'only here'")
    assert real + arch == 1


def test_regression_enum_error_value_is_not_the_empty_member(vdb: SyncDB) -> None:
    """An ENUM's error value '' (index 0) and a member '' (index 1) read the same text: the
    archive held the other one and the lead was deleted."""
    vdb.execute("ALTER TABLE vicidial_list ADD COLUMN tier ENUM('', 'gold') NULL")
    vdb.execute("ALTER TABLE vicidial_list_archive ADD COLUMN tier ENUM('', 'gold') NULL")
    seed_leads(vdb, 1)
    vdb.execute("UPDATE vicidial_list SET tier = 1 WHERE lead_id = 1")  # the member ''
    vdb.archive([1], True, False, False)
    vdb.execute("SET SESSION sql_mode = ''")
    vdb.execute("UPDATE vicidial_list SET tier = 'nonsense' WHERE lead_id = 1")  # index 0
    assert vdb.value("SELECT tier + 0 FROM vicidial_list WHERE lead_id = 1") == 0
    rows = flags(vdb.archive([1], False, False, True))
    assert rows == [(1, 0, 0, 0, "mismatch")]
    assert vdb.value("SELECT tier + 0 FROM vicidial_list WHERE lead_id = 1") == 0


def test_regression_sql_select_limit_does_not_cut_the_answer(vdb: SyncDB) -> None:
    seed_leads(vdb, 3)
    vdb.execute("SET SESSION sql_select_limit = 1")
    rows = flags(vdb.archive([1, 2, 3]))
    vdb.execute("SET SESSION sql_select_limit = DEFAULT")
    assert len(rows) == 3
    assert vdb.ids("vicidial_list") == []


def test_regression_archive_trigger_renumbering_is_not_reported_inserted(vdb: SyncDB) -> None:
    """A BEFORE INSERT trigger on the archive files the row under another id: the insert's
    row count matched and the lead was reported inserted, then kept as not_archived."""
    seed_leads(vdb, 2)
    vdb.execute(
        "CREATE TRIGGER renumber BEFORE INSERT ON vicidial_list_archive FOR EACH ROW"
        " SET NEW.lead_id = NEW.lead_id + 1000"
    )
    rows = flags(vdb.archive([1]))
    assert rows == [(1, 0, 0, 0, "not_archived")]


def test_regression_trigger_renumbering_is_seen_without_the_trigger_privilege(
    empty_db: SyncDB, admin: SyncDB, request: pytest.FixtureRequest
) -> None:
    """The procedures installed by an account with every privilege on the database but
    TRIGGER: the renumbering trigger must still be seen (MariaDB lists it to them)."""
    version = str(text(admin.value("SELECT VERSION()")))
    if is_mysql(admin) or version.startswith("10.5."):
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason="MySQL's and MariaDB 10.5's information_schema.TRIGGERS list a table's"
                " triggers only to an account with the TRIGGER privilege on it (MariaDB 10.11"
                " and 11.8 list them here), and the procedures run as their"
                " definer: installed by an account without it, the move sees no trigger, trusts"
                " the insert's row count and reports the renumbered lead inserted (then kept as"
                " mismatch; nothing is lost). Reading every id back on every call would cost"
                " each call a statement",
            )
        )
    build_vicidial(empty_db, install=False)
    user = f"inst{uuid.uuid4().hex[:8]}"
    password = secrets.register(f"pw-{uuid.uuid4().hex}")
    admin.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
    try:
        admin.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER,"
            " CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, CREATE VIEW, SHOW VIEW,"
            f" CREATE ROUTINE, ALTER ROUTINE ON `{empty_db.name}`.* TO '{user}'@'%'"
        )
        url = empty_db.url
        installer_db = SyncDB(DatabaseURL(user, password, url.host, url.port, url.database))
        try:
            installer_db.run(installer.install(installer_db.conn))
        finally:
            installer_db.close()
        seed_leads(empty_db, 2)
        empty_db.execute(
            "CREATE TRIGGER renumber BEFORE INSERT ON vicidial_list_archive FOR EACH ROW"
            " SET NEW.lead_id = NEW.lead_id + 1000"
        )
        assert flags(empty_db.archive([1])) == [(1, 0, 0, 0, "not_archived")]
    finally:
        admin.execute(f"DROP USER '{user}'@'%'")


def test_dearchive_trigger_renumbering_is_not_reported_inserted(vdb_any: SyncDB) -> None:
    """The way back, into a vicidial_list with a BEFORE INSERT trigger that renumbers, and a
    case twin of the archive with a trigger of its own (not the target's)."""
    db = vdb_any
    seed_leads(db, 2)
    assert [r[3] for r in db.archive([1, 2])] == [1, 1]
    db.execute(
        "CREATE TRIGGER renumber BEFORE INSERT ON vicidial_list FOR EACH ROW"
        " SET NEW.lead_id = NEW.lead_id + 1000"
    )
    rows = flags(db.dearchive([1]))
    assert rows == [(1, 0, 0, 0, "not_archived")]
    assert db.ids("vicidial_list_archive") == [1, 2]
    db.execute("DROP TRIGGER renumber")
    db.execute("DELETE FROM vicidial_list")
    if db.value("SELECT @@lower_case_table_names") == 0:
        db.execute("CREATE TABLE `Vicidial_List` (lead_id INT)")
        db.execute(
            "CREATE TRIGGER twin BEFORE INSERT ON `Vicidial_List` FOR EACH ROW"
            " SET NEW.lead_id = NEW.lead_id + 1000"
        )
    assert flags(db.dearchive([1, 2])) == [(1, 1, 0, 1, None), (2, 1, 0, 1, None)]


def test_regression_case_twin_archive_is_not_read(vdb: SyncDB) -> None:
    """A table whose name differs from the archive's only by case."""
    seed_leads(vdb, 2)
    if vdb.value("SELECT @@lower_case_table_names") != 0:
        pytest.skip("needs case-sensitive table names")
    ddl = str(text(vdb.execute("SHOW CREATE TABLE vicidial_list_archive")[0][1]))
    vdb.execute(ddl.replace("`vicidial_list_archive`", "`VICIDIAL_LIST_ARCHIVE`", 1))
    vdb.execute("ALTER TABLE `VICIDIAL_LIST_ARCHIVE` ADD COLUMN extra INT NULL")
    rows = flags(vdb.archive([1]))
    assert rows == [(1, 1, 0, 1, None)]
    assert vdb.row("vicidial_list_archive", 1) is not None


def test_regression_case_twin_vicidial_list_is_not_read(vdb: SyncDB) -> None:
    seed_leads(vdb, 2)
    if vdb.value("SELECT @@lower_case_table_names") != 0:
        pytest.skip("needs case-sensitive table names")
    ddl = str(text(vdb.execute("SHOW CREATE TABLE vicidial_list")[0][1]))
    vdb.execute(ddl.replace("`vicidial_list`", "`Vicidial_List`", 1))
    vdb.execute("ALTER TABLE `Vicidial_List` ADD COLUMN extra LONGTEXT NULL")
    rows = flags(vdb.archive([1]))
    assert rows == [(1, 1, 0, 1, None)]


def test_regression_case_twin_busy_table_is_not_mistaken(vdb: SyncDB) -> None:
    seed_leads(vdb, 2)
    if vdb.value("SELECT @@lower_case_table_names") != 0:
        pytest.skip("needs case-sensitive table names")
    vdb.execute("CREATE TABLE `VICIDIAL_HOPPER` (x INT)")
    vdb.execute("INSERT INTO vicidial_hopper (lead_id, list_id) VALUES (2, 101)")
    rows = flags(vdb.archive([1, 2]))
    assert rows == [(1, 1, 0, 1, None), (2, 1, 0, 0, "busy")]


def test_regression_auto_increment_step_does_not_leave_leads_out(vdb_any: SyncDB) -> None:
    """With auto_increment_increment above 1 (a caller's SET, Galera, group replication) the
    call numbered its ids 3, 13, 23 ...: the chunks, ranges of that number bounded by the id
    count, reached only the first ones; the others were neither deleted nor restored, and
    their identical archive rows were reported as 'mismatch'."""
    db = vdb_any
    ids = seed_leads(db, 60)
    db.execute("SET SESSION auto_increment_increment = 10, auto_increment_offset = 3")
    assert flags(db.archive(ids)) == [(i, 1, 0, 1, None) for i in ids]
    assert db.ids("vicidial_list") == []
    assert flags(db.dearchive(ids)) == [(i, 1, 0, 1, None) for i in ids]
    assert db.ids("vicidial_list") == ids and db.ids("vicidial_list_archive") == []
    assert db.execute("SELECT @@auto_increment_increment, @@auto_increment_offset") == [(10, 3)]


def test_regression_busy_check_waits_for_a_callback_being_written(vdb_any: SyncDB) -> None:
    """vicidial_callbacks converted to InnoDB, a callback for lead 1 inserted by a transaction
    still open when the call checks. On InnoDB lead tables (READ COMMITTED) the busy check read
    the last committed rows without waiting for it, both as the DELETE's own subqueries and as
    the single-table UPDATE that later marked the busy leads: lead 1 was deleted, and the
    callback committed a moment later pointed at an archived lead. (On MyISAM lead tables the
    DELETE's locking read waits.)"""
    db = vdb_any
    db.execute("ALTER TABLE vicidial_callbacks ENGINE = InnoDB")
    seed_leads(db, 2)
    writer = SyncDB(db.url)
    try:
        writer.execute("START TRANSACTION")
        writer.execute(
            "INSERT INTO vicidial_callbacks (lead_id, list_id, status) VALUES (1, 101, 'ACTIVE')"
        )
        timer = threading.Timer(1.5, writer.execute, ("COMMIT",))
        timer.start()
        try:
            rows = flags(db.archive([1, 2]))
        finally:
            timer.join()
    finally:
        writer.close()
    assert rows == [(1, 1, 0, 0, "busy"), (2, 1, 0, 1, None)]
    assert db.ids("vicidial_list") == [1]


def test_regression_deadlocked_call_leaves_nothing_and_can_be_repeated(
    vdb_any: SyncDB, engine: str
) -> None:
    """A deadlock (1213) while the call reads its batch FOR UPDATE into its copy, which is a
    MEMORY table on InnoDB too: the rollback cannot empty the copy; nothing of the call may
    stay (lead tables, audit, working tables) and the same call, repeated, does it all."""
    if engine != "InnoDB":
        pytest.skip("row locks and deadlocks are InnoDB's")
    db = vdb_any
    seed_leads(db, 2)
    before = db.checksums()
    other = SyncDB(db.url)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["rows"] = flags(db.archive([1, 2]))
        except MySQLError as exc:
            outcome["error"] = exc.args[0]

    db.execute("CREATE TABLE scratch (n INT) ENGINE = InnoDB")
    try:
        other.execute("START TRANSACTION")
        # heavier than the call: InnoDB rolls back the lighter of the two
        other.execute(
            "INSERT INTO scratch SELECT a.lead_id FROM vicidial_list AS a, vicidial_list AS b,"
            " vicidial_list AS c, vicidial_list AS d, vicidial_list AS e, vicidial_list AS f,"
            " vicidial_list AS g, vicidial_list AS h, vicidial_list AS i, vicidial_list AS j"
        )
        other.execute("SELECT lead_id FROM vicidial_list WHERE lead_id = 2 FOR UPDATE")
        call = threading.Thread(target=run)
        call.start()
        time.sleep(0.5)  # the call holds lead 1 and waits for lead 2
        try:
            other.execute("SELECT lead_id FROM vicidial_list WHERE lead_id = 1 FOR UPDATE")
            outcome["other"] = "locked"
        except MySQLError as exc:
            outcome["other"] = exc.args[0]
        other.execute("ROLLBACK")
        call.join(30)
    finally:
        other.close()
    assert 1213 in (outcome.get("error"), outcome.get("other")), outcome
    if "error" in outcome:
        assert db.checksums() == before and db.audit_count() == 0
        for name in ("lead_archive_copy", "lead_archive_request"):
            with pytest.raises(MySQLError) as info:
                db.execute(f"SELECT 1 FROM `{name}` LIMIT 0")
            assert info.value.args[0] == 1146, info.value.args
        outcome["rows"] = flags(db.archive([1, 2]))
    assert outcome["rows"] == [(1, 1, 0, 1, None), (2, 1, 0, 1, None)]
    assert db.ids("vicidial_list") == [] and db.ids("vicidial_list_archive") == [1, 2]


def test_regression_wide_rows_fill_no_copy_in_memory(vdb_any: SyncDB) -> None:
    """A column added to the lead tables that makes a row about 60 kB: the call's copy of
    the batch, a MEMORY table of at least 16 MB, held fewer than 300 such rows and a batch of
    500 failed with 1114 (table full), archive and restore alike (on InnoDB since the copy
    moved to memory there too)."""
    db = vdb_any
    for table in ("vicidial_list", "vicidial_list_archive"):
        db.execute(f"ALTER TABLE `{table}` ADD COLUMN notes VARCHAR(19000) NULL")
    ids = seed_leads(db, 500)
    db.execute("UPDATE vicidial_list SET notes = REPEAT('n', 19000) WHERE lead_id % 7 = 0")
    before = {i: db.row("vicidial_list", i) for i in (1, 7, 500)}
    assert flags(db.archive(ids)) == [(i, 1, 0, 1, None) for i in ids]
    assert db.ids("vicidial_list") == []
    assert {i: db.row("vicidial_list_archive", i) for i in before} == before
    assert flags(db.dearchive(ids)) == [(i, 1, 0, 1, None) for i in ids]
    assert {i: db.row("vicidial_list", i) for i in before} == before


def test_regression_vector_column_lead_is_archived(vdb_any: SyncDB) -> None:
    """MySQL 9's VECTOR is stored like a BLOB, which a MEMORY table cannot hold: every call
    on lead tables with such a column failed (on InnoDB since the copy moved to memory)."""
    db = vdb_any
    if not is_mysql(db):
        pytest.skip("VECTOR is a MySQL 9 type")
    try:
        for table in ("vicidial_list", "vicidial_list_archive"):
            db.execute(f"ALTER TABLE `{table}` ADD COLUMN embedding VECTOR(3) NULL")
    except MySQLError as exc:
        pytest.skip(f"this engine has no VECTOR: {exc.args}")
    ids = seed_leads(db, 3)
    db.execute("UPDATE vicidial_list SET embedding = STRING_TO_VECTOR('[1,2.5,-3]')")
    before = db.row("vicidial_list", 2)
    assert flags(db.archive(ids)) == [(i, 1, 0, 1, None) for i in ids]
    assert db.row("vicidial_list_archive", 2) == before
    assert flags(db.dearchive(ids)) == [(i, 1, 0, 1, None) for i in ids]
    assert db.row("vicidial_list", 2) == before


@pytest.mark.parametrize(
    "ids",
    [
        "[007]",
        "[1.0]",
        "[1e0]",
        "[1e2]",
        "[-0]",
        "[-0.0]",
        "[[1]]",
        "[1,]",
        "[ 1 , 2 ]",
        '["1"]',
        "[1]x",
        "[9223372036854775808]",
        "[18446744073709551617]",
    ],
)
def test_odd_id_lists(vdb: SyncDB, ids: str) -> None:
    seed_leads(vdb, 2)
    before = vdb.checksums()
    try:
        rows = flags(vdb.archive(ids))
    except MySQLError as exc:
        assert exc.args[0] == 1644, exc.args
        assert str(text(exc.args[1])).startswith("invalid_lead_ids:"), exc.args
        assert vdb.checksums() == before
        return
    assert ids == "[ 1 , 2 ]", rows


# ------------------------------------------------------------ the caller's session


@pytest.mark.xfail(
    strict=True,
    reason="the call keeps @lead_archive_sql in a utf8mb3 LONGTEXT local: a number comes back"
    " as text, a latin1 string as utf8mb3, and bytes that are not UTF-8 fail every call (1366)",
)
@pytest.mark.parametrize("value", ["42", "4.25", "X'00FF'", "_latin1 X'E9'", "CAST(1e0 AS DOUBLE)"])
def test_regression_callers_user_variable_keeps_its_type(vdb: SyncDB, value: str) -> None:
    """@lead_archive_sql came back as utf8mb3 text whatever it held before the call."""
    seed_leads(vdb, 1)
    probe = "SELECT @lead_archive_sql, CHARSET(@lead_archive_sql), @lead_archive_sql + 0"
    vdb.execute(f"SET @lead_archive_sql = {value}")
    before = vdb.execute(probe)
    vdb.archive([1])
    assert vdb.execute(probe) == before


@pytest.mark.xfail(
    strict=True,
    reason="SQL cannot read a prepared statement's text back: the call's own lead_archive_stmt"
    " replaces and deallocates the caller's",
)
def test_regression_callers_prepared_statement_survives(vdb: SyncDB) -> None:
    """The call prepares and deallocates lead_archive_stmt: the caller's statement of that
    name was gone afterwards."""
    seed_leads(vdb, 1)
    vdb.execute("PREPARE lead_archive_stmt FROM 'SELECT 7'")
    vdb.archive([1])
    assert vdb.execute("EXECUTE lead_archive_stmt") == [(7,)]


def test_call_under_lock_tables_writes_nothing_or_everything(vdb_any: SyncDB) -> None:
    """A caller holding LOCK TABLES on the lead tables and the audit."""
    db = vdb_any
    seed_leads(db, 2)
    try:
        db.execute(
            "LOCK TABLES vicidial_list WRITE, vicidial_list_archive WRITE, lead_archive_audit WRITE"
        )
    except MySQLError as exc:
        if exc.args[0] == 1785:  # MySQL with GTIDs: MyISAM and InnoDB in one LOCK TABLES
            pytest.skip("the server refuses this LOCK TABLES")
        raise
    outcome: Any
    try:
        outcome = flags(db.archive([1, 2]))
    except MySQLError as exc:
        outcome = exc.args
    locked = True
    try:
        db.execute("SELECT COUNT(*) FROM vicidial_hopper")
        locked = False  # a table outside the lock is readable: the caller's lock is gone
    except MySQLError as exc:
        assert exc.args[0] == 1100, exc.args
    db.execute("UNLOCK TABLES")
    audits = db.audit_count()
    archived = db.ids("vicidial_list_archive")
    if isinstance(outcome, list):
        assert audits == 1 and archived == [1, 2], outcome
    else:
        assert audits == 0 and archived == [], (outcome, archived)
    del locked  # kept or not: test_regression_callers_lock_tables_is_kept


@pytest.mark.xfail(
    strict=True,
    reason="MariaDB: START TRANSACTION (the call's own, or the empty one that takes the"
    " isolation level) releases the caller's LOCK TABLES; MySQL: the call fails with 1100 (its"
    " aliases are not locked); a routine cannot tell that the session holds table locks",
)
def test_regression_callers_lock_tables_is_kept(vdb: SyncDB) -> None:
    seed_leads(vdb, 2)
    if is_mysql(vdb):  # GTIDs: MyISAM and InnoDB tables in one LOCK TABLES are refused (1785)
        vdb.execute("ALTER TABLE vicidial_list ENGINE = InnoDB")
        vdb.execute("ALTER TABLE vicidial_list_archive ENGINE = InnoDB")
    vdb.execute(
        "LOCK TABLES vicidial_list WRITE, vicidial_list_archive WRITE, lead_archive_audit WRITE"
    )
    try:
        vdb.archive([1, 2])
        with pytest.raises(MySQLError) as info:
            vdb.execute("SELECT COUNT(*) FROM vicidial_hopper")
        assert info.value.args[0] == 1100, info.value.args
    finally:
        vdb.execute("UNLOCK TABLES")


# ------------------------------------------------------------ values and servers at their limits


def small_packet_session(db: SyncDB, admin: SyncDB, size: int = 1048576) -> tuple[SyncDB, Any]:
    """A new session of a server whose max_allowed_packet was lowered after the data was
    written (a session's own value is read-only: it is the global one at connect)."""
    old = admin.value("SELECT @@GLOBAL.max_allowed_packet")
    admin.execute(f"SET GLOBAL max_allowed_packet = {size}")
    try:
        return SyncDB(db.url), old
    except Exception:
        admin.execute(f"SET GLOBAL max_allowed_packet = {old}")
        raise


def rewritten_under_a_small_packet(
    db: SyncDB, admin: SyncDB, column: str, old: str, new: str, packet: int
) -> list[tuple[Any, ...]]:
    """comments as ``column`` holding ``old`` (SQL) in leads 1 and 2; a trigger standing for
    the dialer rewrites lead 1's to ``new`` right after its copy went into the archive; the
    archive call runs in a session of a server whose max_allowed_packet was lowered to
    ``packet`` after the values were written. Lead 1 must stay (mismatch), lead 2 go."""
    for table in ("vicidial_list", "vicidial_list_archive"):
        db.execute(f"ALTER TABLE `{table}` MODIFY comments {column} NULL")
    seed_leads(db, 2)
    db.execute(f"UPDATE vicidial_list SET comments = {old}")
    db.execute(f"CREATE TABLE newer (comments {column})")
    db.execute(f"INSERT INTO newer VALUES ({new})")
    db.execute(
        "CREATE TRIGGER dialer AFTER INSERT ON vicidial_list_archive FOR EACH ROW"
        " UPDATE vicidial_list SET comments = (SELECT comments FROM newer)"
        " WHERE lead_id = NEW.lead_id AND lead_id = 1"
    )
    small, before = small_packet_session(db, admin, packet)
    try:
        rows = flags(small.archive([1, 2]))
    finally:
        small.close()
        admin.execute(f"SET GLOBAL max_allowed_packet = {before}")
    assert db.ids("vicidial_list") == [1]
    assert db.value("SELECT comments = (SELECT comments FROM newer) FROM vicidial_list") == 1
    return rows


def test_regression_text_longer_than_the_packet_is_still_compared(
    vdb_any: SyncDB, admin: SyncDB
) -> None:
    """A MEDIUMTEXT value of 3 MB on a server whose max_allowed_packet was lowered to 1 MB
    afterwards. MariaDB's CAST(... AS BINARY) of it gives NULL (warning 1301) in a WHERE: the
    verified delete read NULL <=> NULL as equal, and a lead whose text was rewritten after the
    copy (here by a trigger standing for the dialer) was deleted with only the old text
    archived."""
    rows = rewritten_under_a_small_packet(
        vdb_any, admin, "MEDIUMTEXT", "REPEAT('a', 3000000)", "REPEAT('b', 3000000)", 1048576
    )
    assert rows == [(1, 1, 0, 0, "mismatch"), (2, 1, 0, 1, None)]


def test_regression_wide_varchar_longer_than_the_packet_is_still_compared(
    vdb_any: SyncDB, admin: SyncDB
) -> None:
    """The same for a VARCHAR: a drifted comments VARCHAR(20000) holding 18,000 bytes on a
    server whose max_allowed_packet was lowered to 16 KB. Its CAST(... AS BINARY) was NULL
    on both sides, and the delete took the lead the dialer had rewritten."""
    rows = rewritten_under_a_small_packet(
        vdb_any,
        admin,
        "VARCHAR(20000) CHARACTER SET latin1",
        "REPEAT('a', 18000)",
        "CONCAT(REPEAT('a', 17999), 'b')",
        16384,
    )
    assert rows == [(1, 1, 0, 0, "mismatch"), (2, 1, 0, 1, None)]


def test_500_ids_spread_over_whitespace(vdb: SyncDB) -> None:
    """The largest list, every JSON whitespace between the ids: all of them, in order."""
    ids = seed_leads(vdb, 500)
    spaced = "[\n\t" + " ,\r\n  ".join(map(str, ids)) + "\t\n]"
    rows = flags(vdb.archive(spaced, True, False, False))
    assert [r[0] for r in rows] == ids and all(r[1] == 1 for r in rows)


def test_partitioned_tables_on_either_side(vdb_any: SyncDB, engine: str) -> None:
    """vicidial_list partitioned by HASH, the archive by RANGE with no partition above 10:
    the leads the archive cannot take are kept (not_archived), the others go and come back."""
    db = vdb_any
    if engine == "MyISAM" and is_mysql(db):
        pytest.skip("MySQL partitions only InnoDB tables")
    seed_leads(db, 20)
    db.execute("ALTER TABLE vicidial_list PARTITION BY HASH (lead_id) PARTITIONS 4")
    db.execute(
        "ALTER TABLE vicidial_list_archive PARTITION BY RANGE (lead_id)"
        " (PARTITION low VALUES LESS THAN (10))"
    )
    before = {i: db.row("vicidial_list", i) for i in (1, 5, 12)}
    rows = flags(db.archive([1, 5, 12]))
    assert rows == [(1, 1, 0, 1, None), (5, 1, 0, 1, None), (12, 0, 0, 0, "not_archived")]
    assert db.audit_count() == 1
    assert flags(db.dearchive([1, 5])) == [(1, 1, 0, 1, None), (5, 1, 0, 1, None)]
    assert {i: db.row("vicidial_list", i) for i in before} == before


def test_system_versioned_tables_lose_nothing(vdb_any: SyncDB) -> None:
    """MariaDB's WITH SYSTEM VERSIONING: hidden period columns on both sides archive and come
    back; visible ROW START/END columns differ on every row, so the leads are kept."""
    db = vdb_any
    if is_mysql(db):
        pytest.skip("system versioning is MariaDB's")
    seed_leads(db, 4)
    for table in ("vicidial_list", "vicidial_list_archive"):
        db.execute(f"ALTER TABLE `{table}` ADD SYSTEM VERSIONING")
    before = db.row("vicidial_list", 1)
    assert flags(db.archive([1, 2])) == [(1, 1, 0, 1, None), (2, 1, 0, 1, None)]
    assert flags(db.dearchive([1, 2])) == [(1, 1, 0, 1, None), (2, 1, 0, 1, None)]
    assert db.row("vicidial_list", 1) == before
    for table in ("vicidial_list", "vicidial_list_archive"):
        db.execute(f"ALTER TABLE `{table}` DROP SYSTEM VERSIONING")
        db.execute(
            f"ALTER TABLE `{table}`"
            " ADD COLUMN rs TIMESTAMP(6) GENERATED ALWAYS AS ROW START INVISIBLE,"
            " ADD COLUMN re TIMESTAMP(6) GENERATED ALWAYS AS ROW END INVISIBLE,"
            " ADD PERIOD FOR SYSTEM_TIME (rs, re), ADD SYSTEM VERSIONING"
        )
    assert flags(db.archive([3])) == [(3, 1, 0, 0, "mismatch")]
    assert db.ids("vicidial_list") == [1, 2, 3, 4] and db.ids("vicidial_list_archive") == [3]


def test_merge_table_as_the_archive(vdb: SyncDB) -> None:
    """vicidial_list_archive as a MERGE table over two MyISAM tables: refused as a target; on
    the way back, an id held by both underlying tables (MERGE keeps no unique key across
    them) loses neither row."""
    if is_mysql(vdb):
        pytest.skip("MySQL 9 has MERGE only as a plugin left off here")
    seed_leads(vdb, 3)
    ddl = str(text(vdb.execute("SHOW CREATE TABLE vicidial_list_archive")[0][1]))
    vdb.execute("RENAME TABLE vicidial_list_archive TO part1")
    vdb.execute(ddl.replace("`vicidial_list_archive`", "`part2`", 1))
    vdb.execute(
        ddl.replace("ENGINE=MyISAM", "ENGINE=MRG_MyISAM UNION=(part1, part2) INSERT_METHOD=LAST")
    )
    with pytest.raises(MySQLError) as info:
        vdb.archive([1])
    assert str(text(info.value.args[1])).startswith("schema_mismatch:")
    vdb.execute("INSERT INTO part1 SELECT * FROM vicidial_list WHERE lead_id = 3")
    vdb.execute("INSERT INTO part2 SELECT * FROM vicidial_list WHERE lead_id = 3")
    vdb.execute("UPDATE part2 SET comments = 'the other one' WHERE lead_id = 3")
    vdb.execute("DELETE FROM vicidial_list WHERE lead_id = 3")
    vdb.dearchive([3])
    kept = vdb.value("SELECT COUNT(*) FROM part2 WHERE comments = 'the other one'")
    back = vdb.value("SELECT COUNT(*) FROM vicidial_list WHERE lead_id = 3")
    assert kept == 1 and back == 1


def test_read_only_transaction_session_writes_nothing(vdb_any: SyncDB) -> None:
    """SET SESSION TRANSACTION READ ONLY: the call fails at its first write (1792), nothing
    written, the session as it was."""
    db = vdb_any
    seed_leads(db, 2)
    before = db.checksums()
    db.execute("SET SESSION TRANSACTION READ ONLY")
    try:
        with pytest.raises(MySQLError) as info:
            db.archive([1, 2])
        assert info.value.args[0] == 1792, info.value.args
        assert db.execute("SELECT @@time_zone, @@autocommit") == [("SYSTEM", 1)]
    finally:
        db.execute("SET SESSION TRANSACTION READ WRITE")
    assert db.checksums() == before and db.audit_count() == 0


def test_regression_read_only_server_is_not_written_through_the_definer(
    vdb_any: SyncDB, admin: SyncDB
) -> None:
    """A read-only server (a replica): its ordinary accounts cannot write, but the procedures
    run as their definer, whom read_only does not stop, and archived there alone. Refused
    now (database_unavailable), nothing written; a plan still answers."""
    db = vdb_any
    seed_leads(db, 2)
    before = db.checksums()
    admin.execute("SET GLOBAL read_only = 1")
    try:
        with pytest.raises(MySQLError) as info:
            db.archive([1, 2])
        assert info.value.args[0] == 1644
        assert str(text(info.value.args[1])).startswith("database_unavailable: ")
        assert flags(db.call("archive_leads_plan", "[1]", True, True, True)) == [(1, 1, 0, 1, None)]
    finally:
        admin.execute("SET GLOBAL read_only = 0")
    assert db.checksums() == before and db.audit_count() == 0
    assert flags(db.archive([1])) == [(1, 1, 0, 1, None)]


def test_regression_require_primary_key_session_archives(vdb_any: SyncDB) -> None:
    """sql_require_primary_key=1 (MySQL; cloud servers set it globally): the call's working
    tables without a primary key were refused (3750) and every call failed; each has one now."""
    db = vdb_any
    try:
        db.execute("SET SESSION sql_require_primary_key = 1")
    except MySQLError as exc:
        pytest.skip(f"no sql_require_primary_key here: {exc.args}")
    seed_leads(db, 3)
    assert flags(db.archive([1, 2])) == [(1, 1, 0, 1, None), (2, 1, 0, 1, None)]
    assert flags(db.call("archive_leads_plan", "[3]", True, True, True)) == [(3, 1, 0, 1, None)]
    assert flags(db.dearchive([1])) == [(1, 1, 0, 1, None)]
    assert db.value("SELECT @@sql_require_primary_key") == 1


def test_lower_case_table_names_server(mariadb_version: str) -> None:
    """A server with lower_case_table_names=1 (a database named in capitals, a trigger and a
    caller's temporary table named in capitals): the trigger on the archive is found, the
    temporary table is refused as a shadow, and the leads move."""
    binaries = mariadb_versions.cached(mariadb_version)
    if os.environ.get("LEAD_ARCHIVE_TEST_DSN") or binaries is None:
        pytest.skip("needs a private server")
    if binaries.flavor == "mysql":
        pytest.skip("MySQL takes lower_case_table_names only when the datadir is made")
    server = binaries.server("--lower-case-table-names=1").start()
    try:
        root = SyncDB(server.url("mysql"))
        root.execute("CREATE DATABASE Asterisk CHARACTER SET utf8mb3 COLLATE utf8mb3_unicode_ci")
        root.close()
        db = SyncDB(server.url("Asterisk"))
        try:
            build_vicidial(db)
            seed_leads(db, 3)
            db.execute(
                "CREATE TRIGGER renumber BEFORE INSERT ON VICIDIAL_LIST_ARCHIVE FOR EACH ROW"
                " SET NEW.lead_id = NEW.lead_id + 1000"
            )
            assert flags(db.archive([1])) == [(1, 0, 0, 0, "not_archived")]
            db.execute("DROP TRIGGER renumber")
            db.execute("CREATE TEMPORARY TABLE VICIDIAL_LIST_ARCHIVE (lead_id INT)")
            with pytest.raises(MySQLError) as info:
                db.archive([2])
            assert str(text(info.value.args[1])).startswith("schema_mismatch:")
            db.execute("DROP TEMPORARY TABLE vicidial_list_archive")
            assert flags(db.archive([2, 3])) == [(2, 1, 0, 1, None), (3, 1, 0, 1, None)]
            assert db.ids("vicidial_list") == [1]
        finally:
            db.close()
    finally:
        server.stop()
