"""``lead-archive archive``: batches, resume after a kill, selections, office hours, kept CSV."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.http import auth
from tests.support import secrets
from tests.support.dbtools import SyncDB, seed_leads
from tests.support.processes import cli_env, run_cli, serve


def bulk(
    db: SyncDB, tmp: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli("archive", *args, env=env or cli_env(db), cwd=tmp, stdin=stdin)


def write_ids(tmp: Path, ids: list[int]) -> Path:
    path = tmp / "ids.txt"
    path.write_text("\n".join(map(str, ids)) + "\n")
    return path


def test_direct_run_archives_everything_and_is_idempotent(vdb: SyncDB, tmp_path: Path) -> None:
    ids = seed_leads(vdb, 1200)
    before = vdb.checksums(["vicidial_list"])
    done = bulk(vdb, tmp_path, "--direct", "--ids-file", str(write_ids(tmp_path, ids)))
    assert done.returncode == 0, done.stderr
    assert "deleted" in done.stdout and "1,200" in done.stdout
    assert vdb.ids("vicidial_list") == []
    assert len(vdb.ids("vicidial_list_archive")) == 1200
    assert vdb.audit_count() == 3  # batches of 500, 500, 200
    again = bulk(vdb, tmp_path, "--direct", "--ids-file", str(tmp_path / "ids.txt"))
    assert again.returncode == 0 and "3 batches already done" in again.stderr
    assert vdb.audit_count() == 3
    # and back: the archive restores vicidial_list exactly
    back = bulk(
        vdb, tmp_path, "--direct", "--restore", "--ids-file", "-", stdin="\n".join(map(str, ids))
    )
    assert back.returncode == 0, back.stderr
    assert vdb.checksums(["vicidial_list"]) == before


def test_killed_run_resumes_and_loses_nothing(vdb: SyncDB, tmp_path: Path) -> None:
    ids = seed_leads(vdb, 3000)
    originals = {i: vdb.row("vicidial_list", i) for i in ids[::97]}
    path = write_ids(tmp_path, ids)
    state = tmp_path / "run.state"
    args = ("--direct", "--batch-size", "20", "--ids-file", str(path), "--state-file", str(state))
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "archive", *args],
        env=cli_env(vdb),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if state.exists() and len(state.read_text().splitlines()) > 15:
            break
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert 0 < len(vdb.ids("vicidial_list")) < 3000, "the kill came too late to test a resume"
    resumed = bulk(vdb, tmp_path, *args)
    assert resumed.returncode in (0, 1), resumed.stderr
    assert vdb.ids("vicidial_list") == []
    assert vdb.ids("vicidial_list_archive") == sorted(ids)
    assert {i: vdb.row("vicidial_list_archive", i) for i in originals} == originals


def test_kept_and_not_found_go_to_the_csv(vdb: SyncDB, tmp_path: Path) -> None:
    seed_leads(vdb, 10)
    vdb.archive([3])  # archived already: done, not a problem
    vdb.execute("INSERT INTO vicidial_hopper (lead_id, list_id) VALUES (5, 101)")
    ids_file = str(write_ids(tmp_path, [*range(1, 11), 99]))
    done = bulk(vdb, tmp_path, "--direct", "--ids-file", ids_file, "--kept-csv", "kept.csv")
    assert done.returncode == 1, done.stderr
    rows = list(csv.reader(open(tmp_path / "kept.csv")))
    assert rows == [["lead_id", "reason"], ["5", "busy"], ["99", "not_found"]]
    assert vdb.ids("vicidial_list") == [5]
    assert "already archived" in done.stdout


def test_already_archived_leads_do_not_fail_a_run(vdb: SyncDB, tmp_path: Path) -> None:
    seed_leads(vdb, 10)
    vdb.archive([3, 4])
    done = bulk(
        vdb, tmp_path, "--direct", "--ids-file", str(write_ids(tmp_path, list(range(1, 11))))
    )
    assert done.returncode == 0, done.stderr
    assert vdb.ids("vicidial_list") == []


def test_selection_reads_the_database(vdb: SyncDB, tmp_path: Path) -> None:
    seed_leads(vdb, 50)
    vdb.execute("UPDATE vicidial_list SET list_id = 777, status = 'NA' WHERE lead_id <= 10")
    vdb.execute("UPDATE vicidial_list SET status = 'SALE' WHERE lead_id <= 4")
    done = bulk(vdb, tmp_path, "--direct", "--list-id", "777", "--status", "NA")
    assert done.returncode == 0, done.stderr
    assert vdb.ids("vicidial_list_archive") == [5, 6, 7, 8, 9, 10]


def test_bad_input_is_refused_before_anything(vdb: SyncDB, tmp_path: Path) -> None:
    seed_leads(vdb, 3)
    (tmp_path / "bad.txt").write_text("1\nx2\n")
    done = bulk(vdb, tmp_path, "--direct", "--ids-file", str(tmp_path / "bad.txt"))
    assert done.returncode == 2 and "line 2" in done.stderr
    done = bulk(
        vdb, tmp_path, "--ids-file", str(write_ids(tmp_path, [1])), "--url", "http://127.0.0.1:1"
    )
    assert done.returncode == 2 and "no API key" in done.stderr
    assert vdb.ids("vicidial_list") == [1, 2, 3]


@pytest.fixture
def gateway_url(vdb: SyncDB) -> Iterator[tuple[str, str]]:
    key = secrets.register(auth.new_key())
    vdb.call("lead_archive_key_create", "bulk", auth.key_hash(key))
    with serve(cli_env(vdb, LEAD_ARCHIVE_OFFICE_HOURS="mon-sun 00:00-24:00")) as served:
        yield served.base, key


def test_http_run_stops_in_office_hours_and_restores_any_time(
    vdb: SyncDB, tmp_path: Path, gateway_url: tuple[str, str]
) -> None:
    base, key = gateway_url
    ids = seed_leads(vdb, 30)
    vdb.archive(ids[:10])
    env = cli_env(vdb, LEAD_ARCHIVE_KEY=key)
    path = write_ids(tmp_path, ids[10:])
    stopped = bulk(vdb, tmp_path, "--url", base, "--ids-file", str(path), env=env)
    assert stopped.returncode == 3
    assert "office hours: the API opens at" in stopped.stderr
    assert len(vdb.ids("vicidial_list")) == 20
    (tmp_path / "key").write_text(key + "\n")
    restored = bulk(
        vdb,
        tmp_path,
        "--url",
        base,
        "--key-file",
        "key",
        "--restore",
        "--ids-file",
        str(write_ids(tmp_path, ids[:10])),
    )
    assert restored.returncode == 0, restored.stderr
    assert len(vdb.ids("vicidial_list")) == 30


def test_a_refused_run_stops_every_batch_in_flight(vdb: SyncDB, tmp_path: Path) -> None:
    seed_leads(vdb, 1200)
    vdb.execute("ALTER TABLE vicidial_list_archive DROP COLUMN email")
    done = bulk(
        vdb,
        tmp_path,
        "--direct",
        "--parallel",
        "3",
        "--ids-file",
        str(write_ids(tmp_path, list(range(1, 1201)))),
    )
    assert done.returncode == 2
    assert "stopped: schema_mismatch" in done.stderr and "email" in done.stderr
    assert len(vdb.ids("vicidial_list")) == 1200


def _archive_all(db: SyncDB, count: int) -> list[int]:
    ids = seed_leads(db, count)
    db.execute("INSERT INTO vicidial_list_archive SELECT * FROM vicidial_list")
    db.execute("DELETE FROM vicidial_list")
    return ids


def test_restore_by_phone_brings_back_that_number_and_nothing_else(
    vdb: SyncDB, tmp_path: Path
) -> None:
    _archive_all(vdb, 60)
    vdb.execute(
        "UPDATE vicidial_list_archive SET phone_number = '5550102030' WHERE lead_id IN (7, 42)"
    )
    vdb.execute("UPDATE vicidial_list_archive SET alt_phone = '5550102030' WHERE lead_id = 9")
    archived = {i: vdb.row("vicidial_list_archive", i) for i in (7, 42)}
    done = bulk(vdb, tmp_path, "--direct", "--restore", "--phone", "(555) 010-2030")
    assert done.returncode == 0, done.stderr
    assert vdb.ids("vicidial_list") == [7, 42]
    assert {i: vdb.row("vicidial_list", i) for i in (7, 42)} == archived
    assert len(vdb.ids("vicidial_list_archive")) == 58


def test_restore_selections_combine_with_and(vdb: SyncDB, tmp_path: Path) -> None:
    _archive_all(vdb, 40)
    vdb.execute(
        "UPDATE vicidial_list_archive SET list_id = 555, status = 'NA', vendor_lead_code = 'CRM1',"
        " entry_date = '2020-06-01 12:00:00' WHERE lead_id BETWEEN 1 AND 10"
    )
    vdb.execute("UPDATE vicidial_list_archive SET status = 'SALE' WHERE lead_id IN (1, 2)")
    vdb.execute("UPDATE vicidial_list_archive SET vendor_lead_code = 'CRM2' WHERE lead_id = 3")
    vdb.execute(
        "UPDATE vicidial_list_archive SET entry_date = '2021-01-01 00:00:00' WHERE lead_id = 4"
    )
    done = bulk(
        vdb,
        tmp_path,
        "--direct",
        "--restore",
        "--list-id",
        "555",
        "--status",
        "NA",
        "--status",
        "DROP",
        "--vendor-lead-code",
        "CRM1",
        "--vendor-lead-code",
        "CRM9",
        "--entry-after",
        "2020-01-01",
        "--entry-before",
        "2020-12-31 23:59:59",
    )
    assert done.returncode == 0, done.stderr
    assert vdb.ids("vicidial_list") == [5, 6, 7, 8, 9, 10]


def test_selection_refuses_what_it_cannot_read(vdb: SyncDB, tmp_path: Path) -> None:
    _archive_all(vdb, 3)
    before = vdb.checksums()
    done = bulk(vdb, tmp_path, "--direct", "--restore", "--phone", "n/a")
    assert done.returncode == 2 and "no digit" in done.stderr
    done = bulk(vdb, tmp_path, "--direct", "--restore", "--entry-after", "2020-13-01")
    assert done.returncode == 2 and "not a date" in done.stderr
    done = bulk(vdb, tmp_path, "--direct", "--restore", "--phone", "999")
    assert done.returncode == 2 and "matches no lead" in done.stderr
    for filters, message in [
        ('{"phone": []}', "non-empty"),
        ('{"colour": ["red"]}', "unknown filter colour"),
        ('{"list_id": ["1"]}', "integers"),
        ('{"entry_before": "yesterday"}', "must be a date"),
        ("[1]", "JSON object"),
    ]:
        with pytest.raises(Exception, match=message):
            vdb.call("lead_archive_select_leads", "vicidial_list_archive", filters)
    assert vdb.checksums() == before


def test_phone_selection_reads_the_index_not_the_table(vdb: SyncDB) -> None:
    _archive_all(vdb, 3000)
    vdb.execute("SET @lead_archive_probe = NULL")
    vdb.execute(
        "CALL lead_archive_select_sql('vicidial_list_archive', "
        '\'{"phone": ["555-010-2030", "+1 555 010 2031"], "status": ["NA"]}\', '
        "@lead_archive_probe)"
    )
    sql = vdb.value("SELECT @lead_archive_probe")
    assert "'5550102030'" in sql and "'15550102031'" in sql
    plan = vdb.execute(f"EXPLAIN {sql}")
    access = {row[3] for row in plan}  # EXPLAIN's `type` column
    assert "ALL" not in access and "index" not in access, plan
    # and the session's variable of the procedure is left as it was
    vdb.execute("SET @lead_archive_select_sql = 'mine'")
    vdb.call("lead_archive_select_leads", "vicidial_list_archive", '{"phone": ["5550102030"]}')
    assert vdb.value("SELECT @lead_archive_select_sql") == "mine"


def test_dry_run_predicts_exactly_what_the_run_then_does(vdb: SyncDB, tmp_path: Path) -> None:
    """A 100k-lead selection with every reason in it: the dry run's predicted counts are the
    real run's, and the dry run wrote nothing."""
    seed_leads(vdb, 100_000)
    selection = ("--direct", "--list-id", "101", "--list-id", "998")
    # already archived then changed (kept as mismatch with --no-update), busy, reused ids
    vdb.archive(list(range(1, 401)), True, False, False)
    vdb.execute("UPDATE vicidial_list SET comments = 'changed since' WHERE lead_id <= 200")
    vdb.execute(
        "INSERT INTO vicidial_hopper (lead_id, list_id) SELECT lead_id, list_id "
        "FROM vicidial_list WHERE lead_id BETWEEN 1000 AND 1300"
    )
    vdb.execute(
        "INSERT INTO vicidial_list_archive SELECT * FROM vicidial_list "
        "WHERE lead_id BETWEEN 2000 AND 2300"
    )
    vdb.execute(
        "UPDATE vicidial_list_archive SET entry_date = '2001-02-03 04:05:06' "
        "WHERE lead_id BETWEEN 2000 AND 2300"
    )
    before = vdb.checksums()
    audits = vdb.audit_count()
    dry = bulk(vdb, tmp_path, *selection, "--no-update", "--dry-run")
    assert dry.returncode == 1, dry.stderr  # some leads would be kept
    assert vdb.checksums() == before and vdb.audit_count() == audits
    predicted = [
        line.removesuffix("   (predicted)")
        for line in dry.stdout.splitlines()
        if line.endswith("(predicted)")
    ]
    real = bulk(vdb, tmp_path, *selection, "--no-update")
    assert real.returncode == 1, real.stderr
    done = [line for line in real.stdout.splitlines() if line.startswith(predicted[0][:16])]
    start = real.stdout.splitlines().index(done[0])
    assert real.stdout.splitlines()[start : start + len(predicted)] == predicted
    text = "\n".join(predicted)
    for reason in ("mismatch", "busy", "id_conflict"):
        assert f"kept ({reason})" in text, text
