"""``lead-archive db upgrade-archive``: archives cut from older ``vicidial_list`` definitions
(vicidial-facts.md, "Variants seen in the wild"), on MyISAM and InnoDB, with data in them.

After ``--apply`` every archived value is byte-identical (each original column's bytes, and
each ENUM's stored index), ``db check`` is clean and ``archive_leads`` archives into the table.
What cannot be done without changing a value is named, exit 1, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
import re
import subprocess
from typing import Any

import pytest
from asyncmy.errors import MySQLError

from gateway.admin import installer, upgrade
from gateway.admin.installer import SQL_DIR
from gateway.admin.upgrade import COPY, INPLACE, INSTANT, NOCOPY, Change, Column, ColumnType
from gateway.dev.mariadb_server import find_binary
from tests.support import ROOT
from tests.support.dbtools import LOOSE, SyncDB, build_vicidial, insert_leads, make_lead
from tests.support.processes import cli_env, run_cli

ARCHIVE = "vicidial_list_archive"
D_MEMBER = "'Y10', 'D'"
MODERN_MODIFY_DATE = (
    "modify_date TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,"
)
RANK_OWNER = (
    "    `rank` SMALLINT(5) NOT NULL DEFAULT '0',\n",
    "    `owner` VARCHAR(20) DEFAULT '',\n",
    "    KEY `rank` (`rank`),\n",
    "    KEY `owner` (`owner`),\n",
)
ENTRY_LIST_ID = ("    entry_list_id BIGINT(14) UNSIGNED NOT NULL DEFAULT '0',\n",)

# Each older definition of vicidial_list, as edits of today's (sql/vicidial/schema.sql), and
# the explicit_defaults_for_timestamp of the session that created the archive.
FIXTURES: dict[str, tuple[list[tuple[str, str]], bool]] = {
    # before schema 1163 (2.2.0): no rank, owner, entry_list_id; list_id INT(8) UNSIGNED NULL
    "2009": (
        [(line, "") for line in RANK_OWNER + ENTRY_LIST_ID]
        + [
            ("list_id BIGINT(14) UNSIGNED NOT NULL DEFAULT '0',", "list_id INT(8) UNSIGNED,"),
            (D_MEMBER, "'Y10'"),
            (MODERN_MODIFY_DATE, "modify_date TIMESTAMP,"),
        ],
        False,
    ),
    # before schema 1234 (2.4): no entry_list_id
    "2010": (
        [(line, "") for line in ENTRY_LIST_ID]
        + [(D_MEMBER, "'Y10'"), (MODERN_MODIFY_DATE, "modify_date TIMESTAMP,")],
        False,
    ),
    # before schema 1639 (2021): called_since_last_reset without 'D'
    "before_d": ([(D_MEMBER, "'Y10'"), (MODERN_MODIFY_DATE, "modify_date TIMESTAMP,")], False),
    # bare TIMESTAMP made with explicit_defaults_for_timestamp OFF: NOT NULL DEFAULT
    # current_timestamp() ON UPDATE current_timestamp(), which is today's definition
    "bare_timestamp_off": ([(MODERN_MODIFY_DATE, "modify_date TIMESTAMP,")], False),
    # ... and ON: NULL DEFAULT NULL
    "bare_timestamp_on": ([(MODERN_MODIFY_DATE, "modify_date TIMESTAMP,")], True),
}


def vicidial_list_ddl() -> str:
    text = (SQL_DIR / "vicidial" / "schema.sql").read_text()
    match = re.search(r"CREATE TABLE IF NOT EXISTS vicidial_list \(.*?;\n", text, re.S)
    assert match, "sql/vicidial/schema.sql has no vicidial_list"
    return match.group(0)


def archive_ddl(edits: list[tuple[str, str]], engine: str) -> str:
    """The archive as VICIdial documents it (LIKE vicidial_list, lead_id without
    AUTO_INCREMENT), cut from an older vicidial_list."""
    ddl = vicidial_list_ddl()
    base = [
        ("CREATE TABLE IF NOT EXISTS vicidial_list (", f"CREATE TABLE {ARCHIVE} ("),
        ("lead_id INT(9) UNSIGNED NOT NULL AUTO_INCREMENT,", "lead_id INT(9) UNSIGNED NOT NULL,"),
        ("ENGINE = MyISAM", f"ENGINE = {engine}"),
    ]
    for old, new in base + edits:
        assert old in ddl, f"schema.sql changed: {old!r} not found"
        ddl = ddl.replace(old, new)
    return ddl


def make_archive(
    db: SyncDB,
    fixture: str,
    engine: str,
    *,
    extra: list[tuple[str, str]] | None = None,
) -> None:
    """VICIdial's tables and procedures (engine as asked), and an archive cut from ``fixture``
    filled with archived leads."""
    build_vicidial(db, engine=engine, archive=False)
    edits, explicit_defaults = FIXTURES[fixture]
    db.execute(f"SET SESSION explicit_defaults_for_timestamp = {int(explicit_defaults)}")
    db.execute(archive_ddl(edits + (extra or []), engine))
    db.execute("SET SESSION explicit_defaults_for_timestamp = DEFAULT")
    fill_archive(db)


def fill_archive(db: SyncDB) -> None:
    """Archived leads as an old server left them: copied in a non-strict session (a 'D' into
    an archive without 'D' is stored as ''), NULLs, multi-byte text, extreme numbers."""
    db.execute("SET SESSION time_zone = '+00:00'")
    db.execute(f"SET SESSION sql_mode = '{LOOSE}'")
    rng = random.Random(11)
    leads = [make_lead(i, rng) for i in range(1, 41)]
    types = dict(
        db.execute(
            "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS"
            " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
            (ARCHIVE,),
        )
    )
    list_max = 4294967295 if str(types["list_id"]).startswith("int") else 18446744073709551615
    leads.append(
        {
            "lead_id": 4294967295,
            "entry_date": dt.datetime(9999, 12, 31, 23, 59, 59),
            "modify_date": "2038-01-19 03:14:07",
            "status": "CALLBK",
            "list_id": list_max,
            "gmt_offset_now": decimal.Decimal("-99.99"),
            "called_since_last_reset": "D",
            "phone_number": "999999999999999999",
            "first_name": "é" * 30,
            "last_name": "Nguyễn €" + "€" * 22,
            "comments": "€" * 255,
            "security_phrase": "ñ ",
            "called_count": 65535,
            "rank": -32768,
            "owner": None,
            "entry_list_id": 18446744073709551615,
            "date_of_birth": dt.date(1000, 1, 1),
        }
    )
    leads.append(
        {
            "lead_id": 4294967294,
            "entry_date": "0000-00-00 00:00:00",
            "modify_date": "1970-01-01 00:00:01",
            "list_id": 0,
            "gmt_offset_now": decimal.Decimal("99.99"),
            "called_since_last_reset": "Y10",
            "phone_number": "",
            "called_count": 0,
            "rank": 32767,
            "owner": "",
            "entry_list_id": 0,
        }
    )
    insert_leads(db, leads, table=ARCHIVE)


def snapshot(db: SyncDB, columns: list[str]) -> list[tuple[Any, ...]]:
    """Every row of the archive, each of ``columns`` as its bytes, and each ENUM/SET's stored
    number: a byte-exact picture of what is archived."""
    kinds = dict(
        db.execute(
            "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS"
            " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
            (ARCHIVE,),
        )
    )
    parts = []
    for column in columns:
        parts.append(f"CAST(`{column}` AS BINARY)")
        if kinds[column] in ("enum", "set"):
            parts.append(f"`{column}` + 0")
    db.execute("SET SESSION time_zone = '+00:00'")
    return db.execute(f"SELECT {', '.join(parts)} FROM `{ARCHIVE}` ORDER BY lead_id")


def definition(db: SyncDB) -> str:
    return str(db.execute(f"SHOW CREATE TABLE `{ARCHIVE}`")[0][1])


def run(db: SyncDB, apply: bool = False) -> upgrade.Outcome:
    outcome: upgrade.Outcome = db.run(upgrade.run(db.conn, apply=apply))
    for line in outcome.lines:
        assert line.startswith("-- ") or line.endswith(";"), line
    return outcome


def check(db: SyncDB) -> list[str]:
    problems: list[str] = db.run(installer.check(db.conn))
    return problems


def archives_new_leads(db: SyncDB) -> None:
    """archive_leads into the upgraded archive: every lead moved, byte for byte ('D' too)."""
    rng = random.Random(5)
    leads = [make_lead(1000 + i, rng) for i in range(10)]
    leads[0]["called_since_last_reset"] = "D"
    insert_leads(db, leads)
    ids = [lead["lead_id"] for lead in leads]
    columns = ", ".join(f"CAST(`{c}` AS BINARY)" for c in db.columns("vicidial_list"))
    select = f"SELECT {columns} FROM `{{}}` WHERE lead_id BETWEEN 1000 AND 1009 ORDER BY lead_id"
    before = db.execute(select.format("vicidial_list"))
    rows = db.archive(ids)
    assert [tuple(r[1:]) for r in rows] == [(1, 0, 1, None)] * len(ids)
    assert db.execute(select.format(ARCHIVE)) == before


@pytest.mark.parametrize("fixture", list(FIXTURES))
def test_older_archive_is_upgraded_without_changing_a_value(
    empty_db: SyncDB, engine: str, fixture: str
) -> None:
    db = empty_db
    make_archive(db, fixture, engine)
    columns = db.columns(ARCHIVE)
    before, shape = snapshot(db, columns), definition(db)
    assert check(db) != [] or fixture == "bare_timestamp_off"

    dry = run(db)
    assert dry.exit_code == 0, dry.lines
    assert (snapshot(db, columns), definition(db)) == (before, shape)  # nothing changed
    rows = f"{ARCHIVE}: ENGINE={engine}, {len(before)} rows"
    assert rows in dry.lines[0]
    found = db.run(upgrade.plan(db.conn))
    if fixture == "bare_timestamp_off":
        assert any(line.startswith("-- nothing to do") for line in dry.lines)
        assert not found.statements
    else:
        assert_prediction_is_exact(db, found)
        apply_at_the_predicted_cost(db, found)
    assert snapshot(db, columns) == before
    assert check(db) == []
    assert db.columns(ARCHIVE) == db.columns("vicidial_list")
    again = run(db)
    assert (again.exit_code, again.lines[-1]) == (
        0,
        f"-- nothing to do: {ARCHIVE} has vicidial_list's column definitions",
    )
    archives_new_leads(db)


def is_mysql(db: SyncDB) -> bool:
    return "mariadb" not in str(db.value("SELECT VERSION()")).lower()


def assert_prediction_is_exact(db: SyncDB, found: upgrade.Plan) -> None:
    """The server accepts the predicted ALGORITHM (the apply runs with it) and refuses the next
    cheaper one of its own (MySQL has no NOCOPY), changing nothing: the printed cost is neither
    more nor less than the truth. Every server tested here has measured rules: nothing is
    assumed."""
    *session, statement = found.statements
    cost = found.cost
    name = cost.clause or "COPY"
    if cost.clause is None:
        assert cost.level == COPY and "ALGORITHM" not in statement
    else:
        assert statement.endswith(f", ALGORITHM = {cost.clause}")
    assert cost.clause == upgrade.clause(found.server, cost.level) or cost.clause is None
    assert any(line.startswith(f"-- ALGORITHM={name}: ") for line in found.lines())
    assert "assumed" not in cost.note
    ladder = upgrade.algorithms(found.server)
    if name == ladder[0] or cost.clause == "COPY":
        return  # nothing cheaper; or a copy named because the cheaper way breaks the table
    cheaper = ladder[ladder.index(name) - 1]
    clauses = ", ".join(change.clause for change in found.changes)
    shape = definition(db)
    for setting in session:
        db.execute(setting)
    with pytest.raises(MySQLError) as info:
        db.execute(f"ALTER TABLE `{ARCHIVE}` {clauses}, ALGORITHM = {cheaper}")
    assert info.value.args[0] in (1845, 1846), info.value.args
    assert definition(db) == shape


def innodb_table_id(db: SyncDB) -> int | None:
    """InnoDB's id of the archive: a new one when the table is rebuilt or copied."""
    view = "INNODB_TABLES" if is_mysql(db) else "INNODB_SYS_TABLES"
    value = db.value(
        f"SELECT TABLE_ID FROM information_schema.{view} WHERE NAME = %s",
        (f"{db.name}/{ARCHIVE}",),
    )
    return None if value is None else int(value)


def apply_at_the_predicted_cost(db: SyncDB, found: upgrade.Plan) -> None:
    """--apply succeeds; a copy says how many rows it copied; InnoDB rebuilds the table exactly
    when the cost line says that rows are rewritten (INPLACE, COPY)."""
    before = innodb_table_id(db)
    applied = run(db, apply=True)
    assert applied.exit_code == 0, applied.lines
    assert applied.rows_copied == (found.rows if found.algorithm == COPY else 0)
    if found.engine == "InnoDB":
        assert before is not None
        assert (innodb_table_id(db) != before) == (found.algorithm >= INPLACE), found.lines()


ENUM_Y10 = "ENUM('Y','N','Y1','Y2','Y3','Y4','Y5','Y6','Y7','Y8','Y9','Y10')"
ENUM_D = ENUM_Y10[:-1] + ",'D')"
UTF8MB4 = "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
# One difference at a time, made to the archive (or, after "vicidial_list:", to vicidial_list).
DRIFTS = [
    "MODIFY email VARCHAR(70) NOT NULL DEFAULT ''",  # NOT NULL -> NULL
    "MODIFY phone_number VARCHAR(18) NULL",  # NULL -> NOT NULL
    "MODIFY postal_code VARCHAR(10) COLLATE utf8mb3_general_ci",  # indexed
    "MODIFY first_name VARCHAR(30) COLLATE utf8mb3_general_ci",
    # with a column to add: MySQL adds it instantly only in an instant statement
    "MODIFY first_name VARCHAR(30) COLLATE utf8mb3_general_ci, DROP COLUMN entry_list_id",
    # ... and MariaDB 10.11+ does not either along an index rebuilt (NOCOPY)
    "MODIFY postal_code VARCHAR(10) COLLATE utf8mb3_general_ci, DROP COLUMN entry_list_id",
    f"MODIFY first_name VARCHAR(30) {UTF8MB4}",
    "MODIFY comments VARCHAR(100)",  # 300 -> 765 bytes
    "MODIFY city VARCHAR(20)",  # 60 -> 150 bytes
    "MODIFY address1 VARCHAR(80)",  # 240 -> 300 bytes: the length prefix grows
    "MODIFY called_count SMALLINT(3) UNSIGNED DEFAULT '0'",  # display width
    "MODIFY `owner` VARCHAR(20) DEFAULT NULL",  # default
    "MODIFY gmt_offset_now DECIMAL(3,2) DEFAULT '0.00'",
    "MODIFY list_id BIGINT(14) NOT NULL DEFAULT '0'",  # signed
    f"MODIFY called_since_last_reset {ENUM_Y10} DEFAULT 'N', DROP COLUMN entry_list_id",
    # the collation of an ENUM (indexed, and not)
    f"MODIFY called_since_last_reset {ENUM_D} COLLATE utf8mb3_general_ci DEFAULT 'N'",
    "MODIFY gender ENUM('M','F','U') COLLATE utf8mb3_general_ci DEFAULT 'U'",
    "MODIFY lead_id INT(9) UNSIGNED NOT NULL AUTO_INCREMENT",
    # vicidial_list converted to utf8mb4: 90 -> 120 bytes; indexed; 210 -> 280 bytes; an ENUM
    f"vicidial_list: MODIFY first_name VARCHAR(30) {UTF8MB4}",
    f"vicidial_list: MODIFY postal_code VARCHAR(10) {UTF8MB4}",
    f"vicidial_list: MODIFY email VARCHAR(70) {UTF8MB4}",
    f"vicidial_list: MODIFY gender ENUM('M','F','U') {UTF8MB4} DEFAULT 'U'",
]


def make_drift(db: SyncDB, drift: str) -> None:
    """The drift, made by a copy (a cheaper way can break a MyISAM table on MySQL)."""
    table, _, change = drift.rpartition(": ")
    db.execute(f"ALTER TABLE `{table or ARCHIVE}` {change}, ALGORITHM = COPY")


@pytest.mark.parametrize("drift", DRIFTS)
def test_prediction_matches_the_server(vdb_any: SyncDB, drift: str) -> None:
    """One drift at a time, on each engine: the predicted ALGORITHM is the server's."""
    db = vdb_any
    make_drift(db, drift)
    fill_archive(db)
    columns = db.columns(ARCHIVE)
    before = snapshot(db, columns)
    found = db.run(upgrade.plan(db.conn))
    if "SMALLINT(3)" in drift and is_mysql(db):
        # MySQL 8.0.19+ keeps no display width: both tables have smallint unsigned
        assert found.lines()[-1].startswith("-- nothing to do"), found.lines()
        return
    assert found.changes and not found.cannot, found.lines()
    assert_prediction_is_exact(db, found)
    apply_at_the_predicted_cost(db, found)
    assert snapshot(db, columns) == before
    assert check(db) == []


@pytest.mark.parametrize(
    "drift",
    [
        # MariaDB: NOT NULL -> NULL is instant in REDUNDANT rows; MySQL rebuilds
        "ROW_FORMAT = REDUNDANT, MODIFY email VARCHAR(70) NOT NULL DEFAULT ''",
        # MariaDB: a VARCHAR whose length prefix grows is instant in REDUNDANT rows only
        "ROW_FORMAT = REDUNDANT, MODIFY address1 VARCHAR(80)",
        # compressed rows: no instant ADD COLUMN (the table is rebuilt), instant widening
        "ROW_FORMAT = COMPRESSED, DROP COLUMN entry_list_id",
        "ROW_FORMAT = COMPRESSED, MODIFY comments VARCHAR(100)",
    ],
)
def test_prediction_matches_the_server_on_other_row_formats(empty_db: SyncDB, drift: str) -> None:
    db = empty_db
    build_vicidial(db, engine="InnoDB")
    make_drift(db, drift)
    fill_archive(db)
    columns = db.columns(ARCHIVE)
    before = snapshot(db, columns)
    found = db.run(upgrade.plan(db.conn))
    assert found.row_format.upper() == drift.split()[2].rstrip(","), found.row_format
    assert found.changes and not found.cannot, found.lines()
    assert_prediction_is_exact(db, found)
    apply_at_the_predicted_cost(db, found)
    assert snapshot(db, columns) == before
    assert check(db) == []


def test_what_each_fixture_needs(empty_db: SyncDB) -> None:
    """The statement for the oldest archive: columns added at their place with
    vicidial_list's definitions, 'D' appended, list_id widened and made NOT NULL."""
    make_archive(empty_db, "2009", "MyISAM")
    found = empty_db.run(upgrade.plan(empty_db.conn))
    clauses = [change.clause for change in found.changes]
    charset = found_charset(empty_db)
    # MySQL 8.0.19+ shows no display width, and a default's value, which is quoted
    mysql = is_mysql(empty_db)
    bigint, smallint = ("bigint", "smallint") if mysql else ("bigint(14)", "smallint(5)")
    zero = "'0'" if mysql else "0"
    assert clauses == [
        f"MODIFY COLUMN `list_id` {bigint} unsigned NOT NULL DEFAULT {zero}",
        "MODIFY COLUMN `called_since_last_reset` enum('Y','N','Y1','Y2','Y3','Y4','Y5','Y6',"
        f"'Y7','Y8','Y9','Y10','D') CHARACTER SET {charset} COLLATE {charset}_unicode_ci NULL"
        " DEFAULT 'N'",
        f"ADD COLUMN `rank` {smallint} NOT NULL DEFAULT {zero} AFTER `last_local_call_time`",
        f"ADD COLUMN `owner` varchar(20) CHARACTER SET {charset} COLLATE {charset}_unicode_ci "
        "NULL DEFAULT '' AFTER `rank`",
        f"ADD COLUMN `entry_list_id` {bigint} unsigned NOT NULL DEFAULT {zero} AFTER `owner`",
    ]
    assert found.algorithm == COPY and found.rows == 42
    assert "-- checked: column list_id: no archived value is NULL" in found.lines()


def found_charset(db: SyncDB) -> str:
    return str(
        db.value(
            "SELECT CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA ="
            " DATABASE() AND TABLE_NAME = 'vicidial_list' AND COLUMN_NAME = 'status'"
        )
    )


# --- refusals: named, exit 1, nothing changed -------------------------------------------------


def refuses(db: SyncDB, *expected: str) -> list[str]:
    """Both the dry run and --apply name every ``expected`` text, exit 1 and change nothing."""
    columns = db.columns(ARCHIVE)
    before, shape = snapshot(db, columns), definition(db)
    for apply in (False, True):
        outcome = run(db, apply=apply)
        assert outcome.exit_code == 1, outcome.lines
        cannot = [line for line in outcome.lines if line.startswith("-- cannot: ")]
        for text in expected:
            assert any(text in line for line in cannot), (text, outcome.lines)
        assert not [line for line in outcome.lines if not line.startswith("-- ")]
        assert (snapshot(db, columns), definition(db)) == (before, shape)
    return cannot


def test_an_archive_column_wider_than_vicidial_list_is_never_narrowed(vdb: SyncDB) -> None:
    """The guard reports it (a copy back would not fit); upgrade-archive cannot narrow: it
    names it, and does not run the other, safe changes either."""
    vdb.execute(f"ALTER TABLE {ARCHIVE} MODIFY comments VARCHAR(500), DROP COLUMN entry_list_id")
    fill_archive(vdb)
    refuses(
        vdb,
        "column comments: vicidial_list has varchar(255), vicidial_list_archive has "
        "varchar(500): upgrade-archive never narrows a column",
    )
    outcome = run(vdb)
    bigint = "bigint" if is_mysql(vdb) else "bigint(14)"
    assert (
        f"--   add column entry_list_id {bigint} unsigned after owner: archived rows get its "
        "default 0"
    ) in outcome.lines


def test_a_wider_integer_in_the_archive_is_never_narrowed(vdb: SyncDB) -> None:
    vdb.execute(f"ALTER TABLE {ARCHIVE} MODIFY called_count INT(10) UNSIGNED DEFAULT '0'")
    fill_archive(vdb)
    smallint = "smallint" if is_mysql(vdb) else "smallint(5)"
    refuses(vdb, f"column called_count: vicidial_list has {smallint} unsigned")


def test_a_member_dropped_from_vicidial_list_is_never_dropped_from_the_archive(
    vdb: SyncDB,
) -> None:
    vdb.execute(f"ALTER TABLE {ARCHIVE} MODIFY gender ENUM('M','F','U','X') DEFAULT 'U'")
    fill_archive(vdb)
    vdb.execute(f"UPDATE {ARCHIVE} SET gender = 'X' WHERE lead_id = 1")
    refuses(vdb, "column gender: vicidial_list_archive has ENUM member(s) 'X'")


def test_members_in_another_order_are_not_reordered(vdb: SyncDB) -> None:
    """Members in another order: a stored index would name another member."""
    vdb.execute(f"ALTER TABLE {ARCHIVE} MODIFY gender ENUM('F','M','U') DEFAULT 'U'")
    fill_archive(vdb)
    refuses(vdb, "column gender: vicidial_list's ENUM members are not")


def test_regression_null_modify_date_would_become_the_current_time(empty_db: SyncDB) -> None:
    """A bare TIMESTAMP made with explicit_defaults_for_timestamp ON allows NULL. Making it
    NOT NULL turns every NULL into the current time, even in a strict session (no error, no
    warning): a NULL archived there must stop the upgrade."""
    make_archive(empty_db, "bare_timestamp_on", "MyISAM")
    empty_db.execute(f"UPDATE {ARCHIVE} SET modify_date = NULL WHERE lead_id IN (3, 4)")
    refuses(
        empty_db,
        "column modify_date: 2 archived values are NULL and vicidial_list has it NOT NULL "
        "(they would become the current time)",
    )
    assert empty_db.value(f"SELECT COUNT(*) FROM {ARCHIVE} WHERE modify_date IS NULL") == 2


def test_regression_an_enum_collation_change_would_leave_a_myisam_archive_unreadable(
    vdb: SyncDB,
) -> None:
    """MySQL changes the collation of an indexed ENUM of a MyISAM table as a definition change
    only (also without an ALGORITHM clause): every read then fails with 'Incorrect key file',
    REPAIR TABLE too. The statement names ALGORITHM=COPY there, which rebuilds the index; the
    archive stays readable and every value the same."""
    make_drift(vdb, f"MODIFY called_since_last_reset {ENUM_D} COLLATE utf8mb3_general_ci")
    fill_archive(vdb)
    columns = vdb.columns(ARCHIVE)
    before = snapshot(vdb, columns)
    found = vdb.run(upgrade.plan(vdb.conn))
    assert found.algorithm == COPY
    if is_mysql(vdb):
        assert found.statements[-1].endswith(", ALGORITHM = COPY")
        assert "leaves the table unreadable" in found.cost_line()
    outcome = run(vdb, apply=True)
    assert (outcome.exit_code, outcome.rows_copied) == (0, len(before)), outcome.lines
    assert vdb.execute(f"CHECK TABLE {ARCHIVE}")[-1][2:] == ("status", "OK")
    assert snapshot(vdb, columns) == before
    assert check(vdb) == []


def test_null_list_id_of_a_2009_archive_stops_the_upgrade(empty_db: SyncDB) -> None:
    make_archive(empty_db, "2009", "InnoDB")
    empty_db.execute(f"UPDATE {ARCHIVE} SET list_id = NULL WHERE lead_id = 7")
    refuses(empty_db, "column list_id: 1 archived values are NULL")


def test_columns_only_in_the_archive_are_left_alone(vdb: SyncDB) -> None:
    vdb.execute(
        f"ALTER TABLE {ARCHIVE} ADD COLUMN archived_note VARCHAR(10) DEFAULT 'old' AFTER"
        " `owner`, DROP COLUMN entry_list_id"
    )
    fill_archive(vdb)
    vdb.execute(f"UPDATE {ARCHIVE} SET archived_note = 'kept' WHERE lead_id = 2")
    columns = vdb.columns(ARCHIVE)
    before = snapshot(vdb, columns)
    outcome = run(vdb, apply=True)
    assert outcome.exit_code == 0, outcome.lines
    assert (
        "-- left alone: column archived_note exists only in vicidial_list_archive "
        "(archiving works; db check reports it for the way back, dearchive)"
    ) in outcome.lines
    assert snapshot(vdb, columns) == before
    assert vdb.columns(ARCHIVE)[-3:] == ["owner", "entry_list_id", "archived_note"]
    assert check(vdb) == ["dearchive: column archived_note: missing from vicidial_list"]
    archives_new_leads(vdb)


def test_sign_change_only_where_no_value_is_negative(vdb: SyncDB) -> None:
    vdb.execute(f"ALTER TABLE {ARCHIVE} MODIFY called_count SMALLINT(5) DEFAULT '0'")
    fill_archive(vdb)
    vdb.execute(f"UPDATE {ARCHIVE} SET called_count = -1 WHERE lead_id = 5")
    refuses(vdb, "column called_count: 1 archived values are negative")
    vdb.execute(f"UPDATE {ARCHIVE} SET called_count = 1 WHERE lead_id = 5")
    columns = vdb.columns(ARCHIVE)
    before = snapshot(vdb, columns)
    assert run(vdb, apply=True).exit_code == 0
    assert snapshot(vdb, columns) == before
    assert check(vdb) == []


def test_regression_latin1_bytes_would_be_reencoded(vdb: SyncDB) -> None:
    """latin1 -> utf8mb3 rewrites every byte above 0x7F (and mangles UTF-8 bytes that were
    stored in a latin1 column): only ASCII-only data is converted."""
    vdb.execute(f"ALTER TABLE {ARCHIVE} MODIFY first_name VARCHAR(30) CHARACTER SET latin1")
    fill_archive(vdb)
    vdb.execute(f"UPDATE {ARCHIVE} SET first_name = 'plain ascii'")
    vdb.execute(f"UPDATE {ARCHIVE} SET first_name = _latin1 x'4AE9' WHERE lead_id = 9")
    refuses(vdb, "column first_name: 1 archived values would change bytes from latin1 to utf8")
    vdb.execute(f"UPDATE {ARCHIVE} SET first_name = 'Jose' WHERE lead_id = 9")
    columns = vdb.columns(ARCHIVE)
    before = snapshot(vdb, columns)
    outcome = run(vdb, apply=True)
    assert outcome.exit_code == 0, outcome.lines
    assert snapshot(vdb, columns) == before
    assert check(vdb) == []


def test_regression_a_four_byte_character_would_become_a_question_mark(vdb: SyncDB) -> None:
    """An archive column made utf8mb4 by hand: utf8mb3 has no four-byte characters."""
    vdb.execute(
        f"ALTER TABLE {ARCHIVE} MODIFY comments VARCHAR(255) CHARACTER SET utf8mb4"
        " COLLATE utf8mb4_unicode_ci"
    )
    fill_archive(vdb)
    vdb.execute(f"UPDATE {ARCHIVE} SET comments = %s WHERE lead_id = 2", ("call back \U0001f600",))
    refuses(vdb, "column comments: 1 archived values would change bytes from utf8mb4 to utf8")


def test_collation_alone_is_aligned(vdb: SyncDB) -> None:
    """Same character set, other collation: the bytes stay; the definition is aligned."""
    vdb.execute(
        f"ALTER TABLE {ARCHIVE} MODIFY postal_code VARCHAR(10) CHARACTER SET utf8mb3 COLLATE "
        "utf8mb3_general_ci"
    )
    fill_archive(vdb)
    vdb.execute(f"UPDATE {ARCHIVE} SET postal_code = 'abc ' WHERE lead_id = 3")
    columns = vdb.columns(ARCHIVE)
    before = snapshot(vdb, columns)
    assert run(vdb, apply=True).exit_code == 0
    assert snapshot(vdb, columns) == before
    assert run(vdb).lines[-1].startswith("-- nothing to do")


def test_auto_increment_on_the_archive_lead_id_is_removed(vdb: SyncDB) -> None:
    vdb.execute(f"ALTER TABLE {ARCHIVE} MODIFY lead_id INT(9) UNSIGNED NOT NULL AUTO_INCREMENT")
    fill_archive(vdb)
    found = vdb.run(upgrade.plan(vdb.conn))
    mysql = is_mysql(vdb)
    int9 = "int" if mysql else "int(9)"
    assert [c.clause for c in found.changes] == [
        f"MODIFY COLUMN `lead_id` {int9} unsigned NOT NULL"
    ]
    assert found.algorithm == (COPY if mysql else INSTANT)  # MySQL rebuilds the table for it
    assert run(vdb, apply=True).exit_code == 0
    extra = vdb.value(
        "SELECT EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
        f" AND TABLE_NAME = '{ARCHIVE}' AND COLUMN_NAME = 'lead_id'"
    )
    assert extra == ""


def test_hand_added_extended_fields_are_added_to_the_archive(vdb: SyncDB) -> None:
    vdb.execute("ALTER TABLE vicidial_list ADD COLUMN q01 TINYINT(1) DEFAULT '-1'")
    fill_archive(vdb)
    found = vdb.run(upgrade.plan(vdb.conn))
    minus_one = "'-1'" if is_mysql(vdb) else "-1"
    assert [c.clause for c in found.changes] == [
        f"ADD COLUMN `q01` tinyint(1) NULL DEFAULT {minus_one} AFTER `entry_list_id`"
    ]
    assert run(vdb, apply=True).exit_code == 0
    assert vdb.value(f"SELECT COUNT(*) FROM {ARCHIVE} WHERE q01 = -1") == 42
    assert check(vdb) == []


def test_a_prediction_too_cheap_is_refused_and_changes_nothing(
    vdb: SyncDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a server not take the predicted ALGORITHM, --apply reports it and exits 1; the
    archive and its lock are as before."""
    vdb.execute(f"ALTER TABLE {ARCHIVE} DROP COLUMN entry_list_id")  # MyISAM: added by a copy
    fill_archive(vdb)
    columns = vdb.columns(ARCHIVE)
    before, shape = snapshot(vdb, columns), definition(vdb)
    monkeypatch.setattr(
        "gateway.admin.upgrade.apply.predict", lambda *args: upgrade.Cost(INSTANT, "INSTANT")
    )
    outcome = run(vdb, apply=True)
    assert (outcome.exit_code, outcome.applied) == (1, False), outcome.lines
    assert outcome.lines[-1].startswith(
        "-- the server refused ALGORITHM=INSTANT: nothing changed. Without that clause it "
        "chooses its own way, which may copy the table (42 rows)"
    )
    assert (snapshot(vdb, columns), definition(vdb)) == (before, shape)
    assert vdb.value("SELECT COUNT(*) FROM vicidial_list") == 0  # not under LOCK TABLES


def test_a_memory_archive_is_named(vdb: SyncDB) -> None:
    vdb.execute(f"ALTER TABLE {ARCHIVE} ENGINE = MEMORY")
    refuses(vdb, "ENGINE=MEMORY, which does not keep its rows over a restart")


def test_nothing_to_do_on_a_current_archive(vdb: SyncDB) -> None:
    fill_archive(vdb)
    outcome = run(vdb)
    assert outcome.exit_code == 0
    assert outcome.lines[-1] == (
        f"-- nothing to do: {ARCHIVE} has vicidial_list's column definitions"
    )
    applied = run(vdb, apply=True)
    assert (applied.exit_code, applied.applied) == (0, False)


# --- the command line ---------------------------------------------------------------------------


def test_command_line_output_pipes_into_the_mariadb_client(empty_db: SyncDB) -> None:
    """The printed script is what a DBA pipes into the client: afterwards db check is clean."""
    client = find_binary("mariadb", "mysql")
    if client is None:
        pytest.skip("no mariadb client here")
    make_archive(empty_db, "2010", "MyISAM")
    columns = empty_db.columns(ARCHIVE)
    before = snapshot(empty_db, columns)
    env = cli_env(empty_db)
    done = run_cli("db", "upgrade-archive", env=env, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert all(line.startswith("-- ") or line.endswith(";") for line in lines), lines
    assert sum(1 for line in lines if line.startswith("ALTER TABLE")) == 1
    assert run_cli("db", "check", env=env, timeout=60).returncode == 1
    url = empty_db.url
    piped = subprocess.run(
        [client, "-h", url.host, "-P", str(url.port), "-u", url.user, url.database],
        input=done.stdout,
        env={**env, "MYSQL_PWD": url.password},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    assert snapshot(empty_db, columns) == before
    checked = run_cli("db", "check", env=env, timeout=60)
    assert checked.returncode == 0, checked.stdout
    done = run_cli("db", "upgrade-archive", env=env, timeout=60)
    assert done.returncode == 0 and "-- nothing to do" in done.stdout


def test_command_line_apply_and_refusal(empty_db: SyncDB) -> None:
    make_archive(empty_db, "before_d", "InnoDB")
    env = cli_env(empty_db)
    empty_db.execute(
        f"ALTER TABLE {ARCHIVE} MODIFY phone_number VARCHAR(30) NOT NULL"
    )  # wider than vicidial_list's
    done = run_cli("db", "upgrade-archive", "--apply", env=env, timeout=60)
    assert done.returncode == 1, done.stdout
    assert "-- cannot: column phone_number:" in done.stdout
    empty_db.execute(f"ALTER TABLE {ARCHIVE} MODIFY phone_number VARCHAR(18) NOT NULL")
    done = run_cli("db", "upgrade-archive", "--apply", env=env, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "called_since_last_reset: add ENUM member(s) 'D'" in done.stdout
    assert "-- applied: " in done.stdout
    assert run_cli("db", "check", env=env, timeout=60).returncode == 0


def test_command_line_without_an_archive(empty_db: SyncDB) -> None:
    build_vicidial(empty_db, archive=False)
    done = run_cli("db", "upgrade-archive", env=cli_env(empty_db), timeout=60)
    assert done.returncode == 2
    assert "vicidial_list_archive does not exist: lead-archive db create-archive" in done.stderr


def test_readme_and_deployment_document_the_command() -> None:
    root = ROOT
    for doc in ("README.md", "docs/deployment.md"):
        assert "lead-archive db upgrade-archive" in (root / doc).read_text(), doc


# --- the rules, without a server -------------------------------------------------------------

SERVER = "10.11.19-MariaDB"


def col(name: str, column_type: str, **kw: Any) -> Column:
    text = column_type.startswith(("varchar", "char", "enum", "set", "text", "mediumtext"))
    values: dict[str, Any] = {
        "position": 1,
        "charset": "utf8mb3" if text else None,
        "collation": "utf8mb3_unicode_ci" if text else None,
        "nullable": True,
        "default": "NULL",
        "extra": "",
    }
    values.update(kw)
    return Column(name=name, column_type=column_type, **values)


def decide(old: Column, new: Column) -> tuple[list[str], list[str], list[str]]:
    """(clauses, cannot, check expressions) for an archive column ``old`` and vicidial_list's
    ``new``."""
    lead = col("lead_id", "int(9) unsigned", nullable=False, default=None)
    changes, cannot, _ = upgrade.compare([lead, new], [lead, old], SERVER, {"lead_id"})
    return (
        [c.clause for c in changes],
        cannot,
        [check.expression for c in changes for check in c.checks],
    )


@pytest.mark.parametrize(
    ("old", "new", "checks"),
    [
        ("int(8) unsigned", "bigint(14) unsigned", []),
        ("int(9)", "bigint(14) unsigned", ["SUM(`x` < 0)"]),
        ("smallint(5)", "smallint(5) unsigned", ["SUM(`x` < 0)"]),
        ("smallint(5) unsigned", "smallint(5)", ["SUM(`x` > 32767)"]),
        ("int(10) unsigned", "bigint(20)", []),
        ("varchar(100)", "varchar(255)", []),
        ("char(3)", "char(5)", []),
        ("text", "mediumtext", []),
        ("decimal(4,2)", "decimal(6,2)", []),
        ("enum('Y','N')", "enum('Y','N','D')", []),
        ("set('a','b')", "set('a','b','c')", []),
        ("tinyint(1)", "tinyint(4)", []),
    ],
)
def test_widening_rules(old: str, new: str, checks: list[str]) -> None:
    clauses, cannot, found = decide(col("x", old), col("x", new))
    assert cannot == []
    assert clauses and clauses[0].startswith(f"MODIFY COLUMN `x` {new} ")
    assert found == checks


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("bigint(14) unsigned", "int(9) unsigned", "never narrows"),
        ("varchar(255)", "varchar(100)", "never narrows"),
        ("mediumtext", "text", "never narrows"),
        ("decimal(6,2)", "decimal(4,2)", "never narrows"),
        ("decimal(4,2)", "decimal(5,3)", "changes the scale"),
        ("enum('Y','N','X')", "enum('Y','N')", "member(s) 'X'"),
        ("enum('N','Y')", "enum('Y','N','D')", "not vicidial_list_archive's followed"),
        ("binary(3)", "binary(5)", "pad every value"),
        ("varchar(20)", "text", "no safe conversion"),
        ("datetime", "timestamp", "no safe conversion"),
        ("float", "double", "no safe conversion"),
        ("int(9) unsigned zerofill", "int(9) unsigned", "ZEROFILL"),
    ],
)
def test_refusal_rules(old: str, new: str, says: str) -> None:
    clauses, cannot, _ = decide(col("x", old), col("x", new))
    assert clauses == []
    assert len(cannot) == 1 and says in cannot[0], cannot


def test_nullability_and_charset_checks() -> None:
    _, _, checks = decide(
        col("x", "varchar(5)", charset="latin1", collation="latin1_swedish_ci"),
        col("x", "varchar(5)", nullable=False, default=None),
    )
    assert checks == [
        "SUM(CAST(`x` AS BINARY) <> CAST(CONVERT(`x` USING utf8mb3) AS BINARY))",
        "SUM(`x` IS NULL)",
    ]
    _, _, checks = decide(
        col("x", "varchar(5)"), col("x", "varchar(5)", charset="utf8mb4", collation="utf8mb4_bin")
    )
    assert checks == []  # utf8mb3 -> utf8mb4 keeps every byte


def test_columns_are_added_in_order_after_their_predecessor() -> None:
    lead = col("lead_id", "int(9) unsigned", nullable=False, default=None)
    a, b, c = col("a", "int(11)"), col("b", "varchar(5)"), col("c", "int(11)")
    changes, cannot, alone = upgrade.compare(
        [lead, a, b, c], [lead, a, col("z", "int")], SERVER, {"lead_id"}
    )
    assert cannot == [] and alone == ["z"]
    assert [ch.clause.rsplit(" ", 2)[-2:] for ch in changes] == [["AFTER", "`a`"], ["AFTER", "`b`"]]


def test_mysql_defaults_are_quoted() -> None:
    """MySQL shows a default's value, not an expression."""
    column = col("owner", "varchar(20)", default="it's")
    assert upgrade.definition(column, "8.0.36").endswith("NULL DEFAULT 'it''s'")
    stamp = col(
        "modify_date",
        "timestamp",
        nullable=False,
        default="CURRENT_TIMESTAMP",
        extra="DEFAULT_GENERATED on update CURRENT_TIMESTAMP",
    )
    assert upgrade.definition(stamp, "8.0.36") == (
        "timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"
    )


def test_enum_members_are_read_with_quotes_inside() -> None:
    assert ColumnType.parse("enum('a''b','c')").members == ["'a''b'", "'c'"]


def planned(old: Column | None, new: Column, server: str = SERVER) -> list[Change]:
    """The changes for an archive column ``old`` (None: missing) and vicidial_list's ``new``."""
    lead = col("lead_id", "int(9) unsigned", nullable=False, default=None)
    archive = [lead] if old is None else [lead, old]
    changes, cannot, _ = upgrade.compare([lead, new], archive, server, {"lead_id"})
    assert changes and not cannot, cannot
    return changes


def test_mysql_rules_follow_the_version() -> None:
    """No ALGORITHM=INSTANT before MySQL 8.0.12, instant ADD COLUMN only as the last column
    before 8.0.29 (not predicted: the statement names no ALGORITHM, the server chooses), and at
    most 64 (9.1+: 255) instant ADD/DROP COLUMN statements before InnoDB must rebuild."""
    add = planned(None, col("x", "int"), "9.7.4")
    append = planned(col("e", "enum('a')"), col("e", "enum('a','b')"), "9.7.4")
    assumed = upgrade.Cost(COPY, None, upgrade.cost.ASSUMED)
    full = "{} instant ADD/DROP COLUMN since the last rebuild, the most MySQL allows"
    for server, changes, versions, cost in [
        ("8.0.11", append, 0, assumed),
        ("8.0.12", append, 0, upgrade.Cost(INSTANT, "INSTANT")),
        ("8.0.28", add, 0, assumed),
        ("8.0.29", add, 63, upgrade.Cost(INSTANT, "INSTANT")),
        ("8.0.29", add, 64, upgrade.Cost(INPLACE, "INPLACE", full.format(64))),
        ("9.7.4", add, 254, upgrade.Cost(INSTANT, "INSTANT")),
        ("9.7.4", add, 255, upgrade.Cost(INPLACE, "INPLACE", full.format(255))),
    ]:
        found = upgrade.predict(server, "InnoDB", "Dynamic", changes, set(), versions)
        assert found == cost, (server, versions)


def test_costs_and_their_algorithm_per_server() -> None:
    """MySQL names a change done in place without a rebuild ALGORITHM=INPLACE (it has no
    NOCOPY); a column added along it then rebuilds the table, on MariaDB too."""
    widen = planned(col("v", "varchar(20)"), col("v", "varchar(40)"), "9.7.4")
    assert upgrade.predict("9.7.4", "InnoDB", "Dynamic", widen, set()) == upgrade.Cost(
        NOCOPY, "INPLACE"
    )
    add = planned(None, col("x", "int"), "9.7.4")
    both = widen + add
    assert upgrade.predict("9.7.4", "InnoDB", "Dynamic", both, set()).level == INPLACE
    assert upgrade.algorithms("9.7.4") == ("INSTANT", "INPLACE", "COPY")
    assert upgrade.algorithms(SERVER) == ("INSTANT", "NOCOPY", "INPLACE", "COPY")
    recollated = planned(
        col("p", "varchar(10)", collation="utf8mb3_general_ci"), col("p", "varchar(10)")
    )
    assert upgrade.predict(SERVER, "InnoDB", "Dynamic", recollated, {"p"}) == upgrade.Cost(
        NOCOPY, "NOCOPY"
    )
    add = planned(None, col("x", "int"))
    assert upgrade.predict(SERVER, "InnoDB", "Dynamic", recollated + add, {"p"}).level == INPLACE
    assert upgrade.predict("10.3.39-MariaDB", "InnoDB", "Dynamic", add, set()).note.startswith(
        "assumed"
    )


def test_innodb_names_tables_as_files() -> None:
    """As MySQL's INNODB_TABLES shows them (la-t.x/v: la@002dt@002ex/v)."""
    assert upgrade.columns.innodb_name("la-t.x", "v") == "la@002dt@002ex/v"
    assert upgrade.columns.innodb_name("asterisk", ARCHIVE) == f"asterisk/{ARCHIVE}"
    assert upgrade.columns.innodb_name("lé", "v") is None


def test_instant_row_versions_are_read_on_mysql(empty_db: SyncDB) -> None:
    build_vicidial(empty_db, engine="InnoDB", install=False)
    if not is_mysql(empty_db):
        pytest.skip("only MySQL's InnoDB counts instant row versions")
    for change in ("ADD COLUMN scratch INT", "DROP COLUMN scratch"):
        empty_db.execute(f"ALTER TABLE {ARCHIVE} {change}, ALGORITHM = INSTANT")
    assert empty_db.run(upgrade.columns.read_row_versions(empty_db.conn, ARCHIVE)) == 2
