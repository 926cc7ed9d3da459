"""Runs every ``sql/tests/test_*.sql`` in a fresh VICIdial database, in a strict and in a
non-strict session (the same files a DBA runs with ``sql/tests/run-with-client.sh``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from asyncmy.errors import MySQLError

from tests.support import ROOT
from tests.support.dbtools import LOOSE, STRICT, SyncDB

# The SQL tests stay in the repository; the wheel ships sql/ without them.
SQL_TESTS_DIR = ROOT / "sql" / "tests"
SQL_TESTS = sorted(SQL_TESTS_DIR.glob("test_*.sql"))
HELPERS = (SQL_TESTS_DIR / "helpers.sql").read_text()


@pytest.mark.parametrize("sql_mode", [LOOSE, STRICT], ids=["non-strict", "strict"])
@pytest.mark.parametrize("path", SQL_TESTS, ids=[p.stem for p in SQL_TESTS])
def test_sql_file(vdb: SyncDB, path: Path, sql_mode: str) -> None:
    vdb.execute(f"SET SESSION sql_mode = '{sql_mode}'")
    vdb.script(HELPERS)
    vdb.script(path.read_text())


def test_a_failed_assertion_fails(vdb: SyncDB) -> None:
    vdb.script(HELPERS)
    with pytest.raises(MySQLError, match="assertion failed: on purpose"):
        vdb.script("CALL la_test_assert(1 = 2, 'on purpose');")
    with pytest.raises(MySQLError, match="expected error leads_not_found"):
        vdb.script("CALL la_test_expect_error('SELECT 1', 'leads_not_found:');")


def test_the_named_limits_match_the_contract() -> None:
    """The id list's limits live once in the SQL, and equal gateway/contract.py's."""
    from gateway.contract import MAX_LEAD_ID, MAX_LEADS

    procedures = ROOT / "sql" / "procedures"
    core = (procedures / "lead_archive_move_core.sql").read_text()
    assert re.findall(r"DECLARE c_max_leads INT DEFAULT (\d+);", core) == [str(MAX_LEADS)]
    parse = (procedures / "lead_archive_parse_ids.sql").read_text()
    assert re.findall(r"lead_id > (\d+)", parse) == [str(MAX_LEAD_ID)]
    for path in procedures.glob("*.sql"):
        text = path.read_text()
        named = re.findall(r"DECLARE c_max_leads INT DEFAULT (\d+);", text)
        assert all(n == str(MAX_LEADS) for n in named), path.name
        text = re.sub(r"DECLARE c_max_leads INT DEFAULT \d+;", "", text)
        assert not re.search(r"\b500\b", text), path.name
