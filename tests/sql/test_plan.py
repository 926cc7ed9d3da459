"""The plan procedures (archive_leads_plan, dearchive_leads_plan) against the real calls, the
measured lock time, and lead_archive_explain.

Per reason: the plan's result set equals what the real call then does on unchanged tables,
and the plan wrote nothing (a checksum of every table of the database, the audit's rows)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from asyncmy.errors import MySQLError

from tests.support.dbtools import SyncDB, insert_leads, make_lead, seed_leads


def everything(db: SyncDB) -> dict[str, Any]:
    tables = [str(r[0]) for r in db.execute("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")]
    return {**db.checksums(tables), "audit rows": db.audit_count()}


def ids_text(ids: list[int]) -> str:
    return "[" + ",".join(map(str, ids)) + "]"


def plan_then_run(
    db: SyncDB, direction: str, ids: list[int], *flags: bool
) -> list[tuple[Any, ...]]:
    """The plan, checked to write nothing, then the real call, checked to do what it said."""
    before = everything(db)
    if direction == "archive":
        plan = db.call("archive_leads_plan", ids_text(ids), *flags)
    else:
        plan = db.call("dearchive_leads_plan", ids_text(ids), *flags)
    assert everything(db) == before
    done = db.archive(ids, *flags) if direction == "archive" else db.dearchive(ids, *flags)
    assert plan == done
    return done


def reasons(rows: list[tuple[Any, ...]]) -> list[Any]:
    return [r[4] for r in rows]


def archive_only(db: SyncDB, ids: list[int]) -> None:
    db.archive(ids, True, False, False)


def test_plan_of_a_clean_batch_is_what_the_call_does(vdb_any: SyncDB) -> None:
    seed_leads(vdb_any, 5)
    done = plan_then_run(vdb_any, "archive", [3, 1, 2], True, True, True)
    assert [(r[0], r[1], r[3], r[4]) for r in done] == [
        (3, 1, 1, None),
        (1, 1, 1, None),
        (2, 1, 1, None),
    ]


def test_plan_mismatch(vdb_any: SyncDB) -> None:
    seed_leads(vdb_any, 3)
    archive_only(vdb_any, [1, 2])
    vdb_any.execute("UPDATE vicidial_list SET comments = 'changed since' WHERE lead_id = 2")
    done = plan_then_run(vdb_any, "archive", [1, 2], False, False, True)
    assert reasons(done) == [None, "mismatch"]


def test_plan_update_then_delete(vdb_any: SyncDB) -> None:
    seed_leads(vdb_any, 3)
    archive_only(vdb_any, [1, 2])
    vdb_any.execute("UPDATE vicidial_list SET comments = 'changed since' WHERE lead_id = 2")
    done = plan_then_run(vdb_any, "archive", [1, 2], True, True, True)
    assert [(r[2], r[3], r[4]) for r in done] == [(0, 1, None), (1, 1, None)]


def test_plan_busy(vdb_any: SyncDB) -> None:
    seed_leads(vdb_any, 3)
    vdb_any.execute("INSERT INTO vicidial_hopper (lead_id, list_id) VALUES (2, 101)")
    done = plan_then_run(vdb_any, "archive", [1, 2, 3], True, True, True)
    assert reasons(done) == [None, "busy", None]


def test_plan_id_conflict(vdb_any: SyncDB) -> None:
    seed_leads(vdb_any, 3)
    other = make_lead(2, random.Random(99))
    other.update(entry_date=dt.datetime(2001, 2, 3), first_name="Someone")
    insert_leads(vdb_any, [other], table="vicidial_list_archive")
    done = plan_then_run(vdb_any, "archive", [1, 2], True, True, True)
    assert reasons(done) == [None, "id_conflict"]
    # whatever the flags
    done = plan_then_run(vdb_any, "archive", [2, 3], False, False, False)
    assert reasons(done) == ["id_conflict", None]


def test_plan_not_archived(vdb_any: SyncDB) -> None:
    seed_leads(vdb_any, 3)
    done = plan_then_run(vdb_any, "archive", [1, 2], False, True, True)
    assert reasons(done) == ["not_archived", "not_archived"]


def test_plan_dearchive(vdb_any: SyncDB) -> None:
    seed_leads(vdb_any, 4)
    vdb_any.archive([1, 2, 3, 4])
    done = plan_then_run(vdb_any, "dearchive", [1, 2], True, True)
    assert [(r[1], r[3], r[4]) for r in done] == [(1, 1, None), (1, 1, None)]
    done = plan_then_run(vdb_any, "dearchive", [3], False, True)
    assert reasons(done) == ["not_archived"]
    vdb_any.dearchive([4], True, False)
    vdb_any.execute("UPDATE vicidial_list SET comments = 'changed since' WHERE lead_id = 4")
    done = plan_then_run(vdb_any, "dearchive", [4], True, True)
    assert reasons(done) == ["mismatch"]


@pytest.mark.parametrize(
    ("text", "code"),
    [("[1, 99]", "leads_not_found"), ("[1, 1]", "duplicate_lead_ids"), ("[]", "missing_lead_ids")],
)
def test_plan_refuses_as_the_call_does(vdb: SyncDB, text: str, code: str) -> None:
    seed_leads(vdb, 2)
    errors = []
    for call in ("archive_leads_plan", "archive_leads"):
        before = everything(vdb)
        with pytest.raises(MySQLError) as info:
            vdb.results(f"CALL {call}(%s, TRUE, TRUE, TRUE)", (text,))
        assert everything(vdb) == before
        errors.append((info.value.args, getattr(info.value, "result_sets", None)))
    assert errors[0] == errors[1]
    assert str(errors[0][0][1]).startswith(code + ":")


def test_the_call_measures_its_longest_hold_of_vicidial_list(vdb_any: SyncDB) -> None:
    seed_leads(vdb_any, 300)
    sets = vdb_any.results(
        "CALL lead_archive_move_measured('archive', 'dba', 'r1', %s, TRUE, TRUE, TRUE)",
        (ids_text(list(range(1, 301))),),
    )
    assert [r[3] for r in sets[0]] == [1] * 300
    ((lock_ms,),) = sets[1]
    assert lock_ms is not None and 0 < lock_ms < 60_000
    assert vdb_any.value("SELECT max_lock_ms FROM lead_archive_audit") == lock_ms
    # the DBA's call keeps its one result set
    seed_leads(vdb_any, 2, first_id=400)
    assert len(vdb_any.results("CALL archive_leads('[400, 401]', TRUE, TRUE, TRUE)")) == 1


def test_explain_lists_the_statements_and_runs_none(vdb: SyncDB) -> None:
    seed_leads(vdb, 500)
    before = everything(vdb)
    ids = ids_text(list(range(1, 501)))
    rows = vdb.call("lead_archive_explain", "archive", ids, True, True, True)
    assert everything(vdb) == before
    statements = [str(r[0]) for r in rows]
    kinds = [s.split(" ", 1)[0] for s in statements]
    # the copy, its read, the classification, insert, update and read-back, 2 delete chunks
    assert kinds == ["CREATE", "INSERT", "UPDATE", "INSERT", "UPDATE", "UPDATE"] + ["DELETE"] * 2
    assert "FROM `vicidial_list` WHERE lead_id IN" in statements[1]
    assert "r.pos BETWEEN 251 AND 500" in statements[-1]
    rows = vdb.call("lead_archive_explain", "dearchive", "[1]", True, False, False)
    assert [str(r[0]).split(" ", 1)[0] for r in rows] == ["CREATE", "INSERT", "UPDATE", "INSERT"]
    with pytest.raises(MySQLError, match="invalid_lead_ids"):
        vdb.call("lead_archive_explain", "archive", "[x]", True, True, True)
    with pytest.raises(MySQLError) as info:
        vdb.execute("SELECT 1 FROM lead_archive_explain")
    assert info.value.args[0] == 1146  # nothing left behind
