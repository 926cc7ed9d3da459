"""The schemas seen in the wild (vicidial-facts.md): drifted archives, old and extended schemas.

A drift that would lose data refuses the call with ``schema_mismatch`` before any write; a
harmless one archives normally, every column copied and compared.
"""

from __future__ import annotations

import pytest
from asyncmy.errors import MySQLError

from gateway.admin import installer
from tests.support.dbtools import LOOSE, SyncDB, build_vicidial, refused, seed_leads

ARCHIVE_CALL = "CALL archive_leads('[1,2]', TRUE, TRUE, TRUE)"


@pytest.mark.parametrize(
    ("alter", "column"),
    [
        (  # archive from before schema 1639: no 'D' member
            "ALTER TABLE vicidial_list_archive MODIFY called_since_last_reset ENUM('Y','N','Y1',"
            "'Y2','Y3','Y4','Y5','Y6','Y7','Y8','Y9','Y10') DEFAULT 'N'",
            "called_since_last_reset",
        ),
        ("ALTER TABLE vicidial_list_archive DROP COLUMN entry_list_id", "entry_list_id"),
        ("ALTER TABLE vicidial_list_archive MODIFY comments VARCHAR(100)", "comments"),
        (
            "ALTER TABLE vicidial_list_archive MODIFY list_id BIGINT(14) NOT NULL DEFAULT 0",
            "list_id",
        ),
        (
            "ALTER TABLE vicidial_list_archive MODIFY first_name VARCHAR(30) CHARACTER SET latin1",
            "first_name",
        ),
        ("ALTER TABLE vicidial_list_archive MODIFY email VARCHAR(70) NOT NULL DEFAULT ''", "email"),
        ("ALTER TABLE vicidial_list ADD COLUMN q01 TINYINT(1) DEFAULT '-1'", "q01"),
    ],
)
def test_drift_that_would_lose_data_is_refused(vdb: SyncDB, alter: str, column: str) -> None:
    seed_leads(vdb, 2)
    vdb.execute(alter)
    details = refused(vdb, ARCHIVE_CALL, (), "schema_mismatch")
    assert column in [str(r[0]) for r in details]


def test_regression_enum_without_d_would_store_empty_string(vdb: SyncDB) -> None:
    """Copying 'D' into an archive from before schema 1639 stores '' with only a warning in
    non-strict mode; then a compare that trusted the copy would delete the lead."""
    vdb.execute(f"SET SESSION sql_mode = '{LOOSE}'")
    seed_leads(vdb, 2)
    vdb.execute("UPDATE vicidial_list SET called_since_last_reset = 'D'")
    vdb.execute(
        "ALTER TABLE vicidial_list_archive MODIFY called_since_last_reset "
        "ENUM('Y','N','Y1','Y2','Y3','Y4','Y5','Y6','Y7','Y8','Y9','Y10') DEFAULT 'N'"
    )
    refused(vdb, ARCHIVE_CALL, (), "schema_mismatch")
    assert vdb.ids("vicidial_list") == [1, 2]


def test_missing_archive_table_is_a_schema_mismatch(vdb: SyncDB) -> None:
    seed_leads(vdb, 2)
    vdb.execute("DROP TABLE vicidial_list_archive")
    before = vdb.checksums(["vicidial_list"])
    with pytest.raises(Exception) as info:
        vdb.execute(ARCHIVE_CALL)
    assert str(info.value.args[1]).startswith("schema_mismatch:")
    assert vdb.checksums(["vicidial_list"]) == before


def test_archive_without_primary_key_is_refused(vdb: SyncDB) -> None:
    seed_leads(vdb, 2)
    vdb.execute("ALTER TABLE vicidial_list_archive DROP PRIMARY KEY, ADD KEY lead_id (lead_id)")
    refused(vdb, ARCHIVE_CALL, (), "schema_mismatch")


def test_extended_columns_on_both_tables_are_copied_and_compared(vdb: SyncDB) -> None:
    for table in ("vicidial_list", "vicidial_list_archive"):
        vdb.execute(
            f"ALTER TABLE {table} ADD COLUMN q01 TINYINT(1) DEFAULT '-1',"
            " ADD COLUMN q02 TINYINT(1) DEFAULT '-1'"
        )
    seed_leads(vdb, 2)
    vdb.execute("UPDATE vicidial_list SET q02 = 1 WHERE lead_id = 2")
    vdb.archive([1, 2], True, False, False)
    assert vdb.value("SELECT q02 FROM vicidial_list_archive WHERE lead_id = 2") == 1
    vdb.execute("UPDATE vicidial_list SET q01 = 0 WHERE lead_id = 1")  # only q01 differs
    rows = vdb.archive([1, 2], False, False, True)
    assert [(r[0], r[4]) for r in rows] == [(1, "mismatch"), (2, None)]


def test_columns_only_in_the_archive_keep_their_default(vdb: SyncDB) -> None:
    vdb.execute(
        "ALTER TABLE vicidial_list_archive ADD COLUMN archived_note VARCHAR(10) DEFAULT 'old'"
    )
    seed_leads(vdb, 2)
    rows = vdb.archive([1, 2])
    assert [r[3] for r in rows] == [1, 1]
    assert vdb.value("SELECT COUNT(*) FROM vicidial_list_archive WHERE archived_note = 'old'") == 2


@pytest.mark.parametrize(
    "drop",
    [
        "DROP COLUMN entry_list_id",  # before schema 1234
        "DROP COLUMN entry_list_id, DROP COLUMN `rank`, DROP COLUMN `owner`",  # before 1163
    ],
)
def test_old_schemas_on_both_tables_archive_normally(empty_db: SyncDB, drop: str) -> None:
    build_vicidial(empty_db, archive=False)
    empty_db.execute(f"ALTER TABLE vicidial_list {drop}")
    empty_db.run(installer.create_archive(empty_db.conn))
    seed_leads(empty_db, 3)
    before = [empty_db.row("vicidial_list", i) for i in (1, 2, 3)]
    rows = empty_db.archive([1, 2, 3])
    assert [r[3] for r in rows] == [1, 1, 1]
    assert [empty_db.row("vicidial_list_archive", i) for i in (1, 2, 3)] == before


def test_modify_date_made_with_explicit_defaults_on_archives_normally(vdb: SyncDB) -> None:
    """An archive made with explicit_defaults_for_timestamp=ON has modify_date NULL DEFAULT
    NULL: a NOT NULL source fits it, every value is kept."""
    vdb.execute("ALTER TABLE vicidial_list_archive MODIFY modify_date TIMESTAMP NULL DEFAULT NULL")
    seed_leads(vdb, 2)
    before = [vdb.row("vicidial_list", i) for i in (1, 2)]
    rows = vdb.archive([1, 2])
    assert [r[3] for r in rows] == [1, 1]
    assert [vdb.row("vicidial_list_archive", i) for i in (1, 2)] == before


def test_nullable_modify_date_into_not_null_archive_is_refused(vdb: SyncDB) -> None:
    """The other way round a NULL would become the current time: refused."""
    vdb.execute("ALTER TABLE vicidial_list MODIFY modify_date TIMESTAMP NULL DEFAULT NULL")
    seed_leads(vdb, 2)
    details = refused(vdb, ARCHIVE_CALL, (), "schema_mismatch")
    assert [str(r[0]) for r in details] == ["modify_date"]


def test_collation_only_difference_is_harmless(vdb: SyncDB) -> None:
    vdb.execute(
        "ALTER TABLE vicidial_list_archive MODIFY first_name VARCHAR(30) "
        "CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci"
    )
    seed_leads(vdb, 2)
    assert [r[3] for r in vdb.archive([1, 2])] == [1, 1]


def test_innodb_archive_of_myisam_list(vdb: SyncDB) -> None:
    vdb.execute("ALTER TABLE vicidial_list_archive ENGINE = InnoDB")
    seed_leads(vdb, 5)
    assert [r[3] for r in vdb.archive([1, 2, 3, 4, 5])] == [1] * 5


def test_many_problems_keep_the_code_and_every_column(vdb: SyncDB) -> None:
    """The message is cut to MySQL's 128 characters; the result set names every column."""
    columns = vdb.columns("vicidial_list")[20:]
    vdb.execute(
        "ALTER TABLE vicidial_list_archive " + ", ".join(f"DROP COLUMN `{c}`" for c in columns)
    )
    seed_leads(vdb, 2)
    with pytest.raises(MySQLError) as info:
        vdb.archive([1, 2])
    assert info.value.args[0] == 1644, info.value.args
    assert str(info.value.args[1]).startswith("schema_mismatch: ")
    assert len(str(info.value.args[1])) <= 128
    details = getattr(info.value, "result_sets", [[]])[-1]
    assert [str(r[0]) for r in details] == columns


@pytest.mark.parametrize(
    ("list_engine", "archive_engine"), [("MyISAM", "InnoDB"), ("InnoDB", "MyISAM")]
)
def test_mixed_engines_archive_and_restore(
    vdb: SyncDB, list_engine: str, archive_engine: str
) -> None:
    """With GTIDs (MySQL 9's default) one transaction may not write MyISAM after InnoDB."""
    vdb.execute(f"ALTER TABLE vicidial_list ENGINE = {list_engine}")
    vdb.execute(f"ALTER TABLE vicidial_list_archive ENGINE = {archive_engine}")
    ids = seed_leads(vdb, 5)
    before = {i: vdb.row("vicidial_list", i) for i in ids}
    assert [tuple(r[1:]) for r in vdb.archive(ids)] == [(1, 0, 1, None)] * 5
    assert [tuple(r[1:]) for r in vdb.dearchive(ids)] == [(1, 0, 1, None)] * 5
    assert {i: vdb.row("vicidial_list", i) for i in ids} == before
    assert vdb.ids("vicidial_list_archive") == []
