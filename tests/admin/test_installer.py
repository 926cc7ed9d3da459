"""db install / db check / db create-archive, through the modules and the real command line."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import pytest
from asyncmy.errors import MySQLError

from gateway.admin import installer
from gateway.db import GATEWAY_PROCEDURES, Database
from gateway.dburl import DatabaseURL
from gateway.errors import UnsupportedServer
from tests.support import secrets
from tests.support.dbtools import SyncDB, build_vicidial, seed_leads
from tests.support.processes import cli_env, run_cli


def test_split_statements_honours_delimiter() -> None:
    text = """-- comment
SET a = 1;
DELIMITER //
CREATE PROCEDURE p()
BEGIN
    SELECT 1;
    SELECT 2;
END //
DELIMITER ;
SELECT 3;
"""
    assert installer.split_statements(text) == [
        "SET a = 1",
        "CREATE PROCEDURE p()\nBEGIN\n    SELECT 1;\n    SELECT 2;\nEND",
        "SELECT 3",
    ]


@pytest.mark.parametrize(
    ("version", "ok"),
    [
        ("10.2.44-MariaDB", False),
        ("10.3.39-MariaDB-0+deb10u1", True),
        ("10.11.19-MariaDB-0+deb12u1", True),
        ("11.8.2-MariaDB", True),
        ("5.7.44-log", False),
        ("8.0.36", True),
        ("9.7.4-2", True),
    ],
)
def test_supported_servers(version: str, ok: bool) -> None:
    if ok:
        installer.require_supported(version)
    else:
        with pytest.raises(UnsupportedServer, match=version.split("-")[0]):
            installer.require_supported(version)


def test_mysql_shows_string_literals_with_their_escapes_resolved() -> None:
    """What MySQL 9.7 showed in ROUTINE_DEFINITION for this body."""
    body = (
        "BEGIN\n    -- it's a comment\n    DECLARE a TEXT DEFAULT 'it''s';\n"
        "    DECLARE b TEXT DEFAULT 'a\\\\b\\n\\t\\%x';\n"
        '    DECLARE c TEXT DEFAULT "say ""hi"" \\"q\\"";\n'
        "    SELECT a, b, c, '/* x */' AS ef;\nEND"
    )
    assert installer.mysql_definition(body) == (
        "BEGIN\n    -- it's a comment\n    DECLARE a TEXT DEFAULT 'it's';\n"
        "    DECLARE b TEXT DEFAULT 'a\\b\n\t\\%x';\n"
        '    DECLARE c TEXT DEFAULT "say "hi" "q"";\n'
        "    SELECT a, b, c, '/* x */' AS ef;\nEND"
    )


def test_every_routine_file_is_found() -> None:
    names = {r.name for r in installer.routines()}
    assert {
        "archive_leads",
        "dearchive_leads",
        "lead_archive_move",
        "lead_archive_guard",
        "lead_archive_parse_ids",
        "lead_archive_check",
    } <= names


def test_install_is_idempotent_and_says_what_changed(empty_db: SyncDB) -> None:
    build_vicidial(empty_db, install=False)
    first = empty_db.run(installer.install(empty_db.conn))
    assert "created procedure archive_leads" in first
    assert "created table lead_archive_audit" in first
    assert empty_db.run(installer.install(empty_db.conn)) == []
    empty_db.execute("DROP PROCEDURE archive_leads")
    empty_db.execute(
        "CREATE PROCEDURE archive_leads(IN a JSON, IN b BOOL, IN c BOOL, IN d BOOL)"
        " COMMENT 'lead-archive 0' BEGIN END"
    )
    assert empty_db.run(installer.install(empty_db.conn)) == ["updated procedure archive_leads"]


def test_check_is_empty_when_ready(vdb: SyncDB) -> None:
    assert vdb.run(installer.check(vdb.conn)) == []


def test_check_reports_a_changed_routine_body(vdb: SyncDB) -> None:
    """Same name and version comment, another string literal: not this version (MySQL shows
    the literals unescaped, so the comparison must still see the change there)."""
    text = (installer.SQL_DIR / "procedures" / "lead_archive_move_core.sql").read_text()
    assert "''id_conflict'', NULL" in text
    vdb.script(text.replace("''id_conflict'', NULL", "''kept'', NULL"))
    assert vdb.run(installer.check(vdb.conn)) == [
        "procedure lead_archive_move_core is not at this version (lead-archive db install)"
    ]
    assert vdb.run(installer.install(vdb.conn)) == ["updated procedure lead_archive_move_core"]
    assert vdb.run(installer.check(vdb.conn)) == []


def test_check_reports_one_line_per_problem(vdb: SyncDB) -> None:
    vdb.execute(
        "ALTER TABLE vicidial_list_archive DROP COLUMN email,"
        " MODIFY called_since_last_reset ENUM('Y','N')"
    )
    vdb.execute("DROP PROCEDURE lead_archive_move")
    problems = vdb.run(installer.check(vdb.conn))
    assert "procedure lead_archive_move is not installed (lead-archive db install)" in problems
    assert any(p.startswith("archive: column email: missing from") for p in problems)
    assert any(p.startswith("archive: column called_since_last_reset:") for p in problems)
    assert any(p.startswith("dearchive: column called_since_last_reset:") for p in problems)


def test_check_reports_a_missing_archive(empty_db: SyncDB) -> None:
    build_vicidial(empty_db, archive=False)
    assert empty_db.run(installer.check(empty_db.conn)) == [
        "table vicidial_list_archive does not exist (lead-archive db create-archive)"
    ]


def test_create_archive_as_vicidial_documents_it(empty_db: SyncDB) -> None:
    build_vicidial(empty_db, archive=False)
    assert empty_db.run(installer.create_archive(empty_db.conn))
    assert empty_db.run(installer.create_archive(empty_db.conn)) == []
    extra = empty_db.value(
        "SELECT EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
        " AND TABLE_NAME = 'vicidial_list_archive' AND COLUMN_NAME = 'lead_id'"
    )
    engine = empty_db.value(
        "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
        " AND TABLE_NAME = 'vicidial_list_archive'"
    )
    assert (extra, engine) == ("", "MyISAM")


def _cli(db: SyncDB, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=cli_env(db), timeout=60)


def test_command_line_install_and_check(empty_db: SyncDB) -> None:
    build_vicidial(empty_db, archive=False, install=False)
    done = _cli(empty_db, "db", "check")
    assert done.returncode == 1
    assert "table vicidial_list_archive does not exist" in done.stdout
    assert _cli(empty_db, "db", "create-archive").returncode == 0
    done = _cli(empty_db, "db", "install")
    assert done.returncode == 0 and "created procedure archive_leads" in done.stdout
    done = _cli(empty_db, "db", "install")
    assert done.returncode == 0 and "nothing to change" in done.stdout
    done = _cli(empty_db, "db", "check")
    assert done.returncode == 0, done.stdout
    assert done.stdout.startswith("ready:")


def test_command_line_names_a_missing_setting() -> None:
    done = run_cli("db", "check", env=cli_env(), timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("lead-archive: LEAD_ARCHIVE_DATABASE_URL is not set")
    assert "Traceback" not in done.stderr


# -- the grants of the procedures an install replaces ------------------------------------------


@pytest.fixture
def accounts(vdb: SyncDB, admin: SyncDB) -> Iterator[dict[str, DatabaseURL]]:
    """Two accounts: 'gateway' (granted by db grant --apply) and 'cron' (a DBA's job, granted
    EXECUTE on archive_leads by hand, WITH GRANT OPTION), and each one's URL."""
    made: dict[str, DatabaseURL] = {}
    url = vdb.url
    try:
        for role in ("gateway", "cron"):
            user = f"{role[:4]}{uuid.uuid4().hex[:8]}"
            password = secrets.register(f"pw-{uuid.uuid4().hex}")
            admin.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
            made[role] = DatabaseURL(user, password, url.host, url.port, url.database)
        done = _cli(vdb, "db", "grant", "--user", f"{made['gateway'].user}@%", "--apply")
        assert done.returncode == 0, done.stderr
        admin.execute(
            f"GRANT EXECUTE ON PROCEDURE `{vdb.name}`.`archive_leads`"
            f" TO '{made['cron'].user}'@'%' WITH GRANT OPTION"
        )
        yield made
    finally:
        for account in made.values():
            admin.execute(f"DROP USER '{account.user}'@'%'")


def _make_stale(db: SyncDB, *names: str) -> None:
    """As after an upgrade of Lead Archive: these procedures are not at this version, and db
    install replaces them (DROP PROCEDURE, which drops every grant on them, and CREATE)."""
    for name in names:
        db.execute(f"ALTER PROCEDURE `{name}` COMMENT 'lead-archive 0'")


def _denied(url: DatabaseURL, sql: str) -> bool:
    db = SyncDB(url)
    try:
        db.execute(sql)
    except MySQLError as exc:
        if exc.args[0] == 1370:  # execute command denied
            return True
        raise
    finally:
        db.close()
    return False


def test_install_gives_back_the_grants_of_the_procedures_it_replaces(
    vdb: SyncDB, admin: SyncDB, accounts: dict[str, DatabaseURL]
) -> None:
    seed_leads(vdb, 3)
    gateway, cron = accounts["gateway"], accounts["cron"]
    schema = vdb.name
    # an earlier version granted the gateway the unrestricted look-up; this version's new
    # procedure did not exist yet
    admin.execute(
        f"GRANT EXECUTE ON PROCEDURE `{schema}`.`lead_archive_lookup` TO '{gateway.user}'@'%'"
    )
    vdb.execute("DROP PROCEDURE lead_archive_gateway_lookup")
    replaced = [p for p in GATEWAY_PROCEDURES if p != "lead_archive_gateway_lookup"]
    _make_stale(vdb, *replaced, "archive_leads", "lead_archive_lookup")

    done = _cli(vdb, "db", "install")
    assert done.returncode == 0, done.stderr
    assert "created procedure lead_archive_gateway_lookup" in done.stdout
    assert f"updated procedure {replaced[0]}" in done.stdout
    assert (
        f"grant kept: GRANT EXECUTE ON PROCEDURE `{schema}`.`lead_archive_gateway_move`"
        f" TO '{gateway.user}'@'%'" in done.stdout
    )
    assert "notice" not in done.stdout

    # the gateway's account runs the gateway, as after db grant --apply
    database = Database(gateway)
    try:
        assert vdb.run(database.readiness()) is None
    finally:
        vdb.run(database.close())
    assert not _denied(gateway, "CALL lead_archive_check()")
    with pytest.raises(MySQLError, match="invalid_api_key"):
        SyncDB(gateway).call("lead_archive_gateway_lookup", b"\0" * 32, "r", "5550102030", 51, 0)
    for sql in ("CALL lead_archive_lookup('5550102030', 51)", "CALL archive_leads('[1]', 1, 1, 1)"):
        assert _denied(gateway, sql), sql
    # the DBA's job keeps exactly what it held, its grant option included
    assert not _denied(cron, "CALL archive_leads('[1]', TRUE, FALSE, FALSE)")
    assert _denied(cron, "CALL lead_archive_check()")
    held = vdb.value(
        "SELECT Proc_priv FROM mysql.procs_priv WHERE User = %s AND Routine_name = 'archive_leads'",
        (cron.user,),
    )
    assert set(str(held).split(",")) == {"Execute", "Grant"}

    # nothing replaced: nothing granted
    assert (
        _cli(vdb, "db", "install").stdout.strip().endswith("procedures and tables are up to date")
    )


def test_install_without_the_right_to_read_grants_says_what_to_run(
    empty_db: SyncDB, admin: SyncDB
) -> None:
    """An installer with every privilege on the database and none on `mysql`: the procedures
    are replaced all the same, and the output says that the grants must be given again. (It
    installed them first: on MySQL only a SYSTEM_USER replaces what root installed.)"""
    build_vicidial(empty_db, install=False)
    user = f"inst{uuid.uuid4().hex[:8]}"
    password = secrets.register(f"pw-{uuid.uuid4().hex}")
    admin.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
    try:
        admin.execute(f"GRANT ALL PRIVILEGES ON `{empty_db.name}`.* TO '{user}'@'%'")
        url = empty_db.url
        env = cli_env(
            LEAD_ARCHIVE_DATABASE_URL=(
                f"mysql://{user}:{password}@{url.host}:{url.port}/{url.database}"
            )
        )
        first = run_cli("db", "install", env=env, timeout=60)
        assert first.returncode == 0, first.stderr
        _make_stale(empty_db, "lead_archive_check")
        done = run_cli("db", "install", env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "updated procedure lead_archive_check" in done.stdout
        assert "may not read mysql.procs_priv" in done.stdout
        assert "lead-archive db grant --user NAME@HOST --apply" in done.stdout
    finally:
        admin.execute(f"DROP USER '{user}'@'%'")
