"""POST <route>/plan: per reason, the plan's answer equals what the route then does, and the
plan wrote nothing; the plan routes and lock_ms in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.apptools import Api
from tests.support.dbtools import SyncDB, insert_leads, make_lead, seed_leads

ARCHIVE = "/vicidial/leads/archive"
DEARCHIVE = "/vicidial/leads/dearchive"


@pytest.fixture
def api(vdb: SyncDB) -> Iterator[Api]:
    seed_leads(vdb, 6)
    instance = Api(vdb)
    yield instance
    instance.close()


def everything(db: SyncDB) -> dict[str, Any]:
    tables = [str(r[0]) for r in db.execute("SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")]
    # the gateway writes a key's last use; the lead tables and the audit are what matter
    tables = [t for t in tables if t != "lead_archive_api_users"]
    return {**db.checksums(tables), "audit rows": db.audit_count()}


def plan_then_run(api: Api, path: str, body: dict[str, Any]) -> dict[str, Any]:
    before = everything(api.db)
    planned = api.post(body, path=path + "/plan")
    assert planned.status_code == 200, planned.text
    assert everything(api.db) == before
    done = api.post(body, path=path)
    assert done.status_code == 200, done.text
    plan, real = planned.json(), done.json()
    assert plan["dry_run"] is True and "lock_ms" not in plan
    assert isinstance(real["lock_ms"], float)
    assert plan["leads"] == real["leads"]
    for key in ("select_count", "insert_count", "update_count", "delete_count", "kept_count"):
        assert plan.get(key) == real.get(key)
    return real


def flags(ins: bool, upd: bool, dele: bool, ids: list[int]) -> dict[str, Any]:
    return {"insert_leads": ins, "update_leads": upd, "delete_leads": dele, "lead_ids": ids}


def reasons(answer: dict[str, Any]) -> list[Any]:
    return [lead["reason"] for lead in answer["leads"]]


def test_plan_route_per_reason(api: Api) -> None:
    db = api.db
    assert reasons(plan_then_run(api, ARCHIVE, flags(True, True, True, [1]))) == [None]
    # not_archived
    assert reasons(plan_then_run(api, ARCHIVE, flags(False, False, True, [2]))) == ["not_archived"]
    # mismatch
    db.archive([2], True, False, False)
    db.execute("UPDATE vicidial_list SET comments = 'changed since' WHERE lead_id = 2")
    assert reasons(plan_then_run(api, ARCHIVE, flags(False, False, True, [2]))) == ["mismatch"]
    # busy
    db.execute("INSERT INTO vicidial_hopper (lead_id, list_id) VALUES (3, 101)")
    assert reasons(plan_then_run(api, ARCHIVE, flags(True, True, True, [3, 2]))) == [
        "busy",
        None,
    ]
    # id_conflict
    other = make_lead(4, random.Random(99))
    other.update(entry_date=dt.datetime(2001, 2, 3), first_name="Someone")
    insert_leads(db, [other], table="vicidial_list_archive")
    assert reasons(plan_then_run(api, ARCHIVE, flags(True, True, True, [4, 5]))) == [
        "id_conflict",
        None,
    ]
    # the way back
    body = {"insert_leads": True, "delete_leads": True, "lead_ids": [5, 1]}
    assert reasons(plan_then_run(api, DEARCHIVE, body)) == [None, None]


def test_plan_refusal_is_the_route_refusal(api: Api) -> None:
    before = everything(api.db)
    planned = api.post(flags(True, True, True, [1, 99]), path=ARCHIVE + "/plan")
    assert everything(api.db) == before
    done = api.post(flags(True, True, True, [1, 99]), path=ARCHIVE)
    assert planned.status_code == done.status_code == 400
    drop = {"request_id"}
    assert {k: v for k, v in planned.json().items() if k not in drop} == {
        k: v for k, v in done.json().items() if k not in drop
    }


def test_plan_routes_and_lock_ms_are_in_the_openapi_document(api: Api) -> None:
    document = api.request("GET", "/openapi.json").json()
    for path, name in ((ARCHIVE, "archive"), (DEARCHIVE, "dearchive")):
        operation = document["paths"][path + "/plan"]["post"]
        assert operation["operationId"] == f"{name}_leads_plan"
        success = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert success["properties"]["dry_run"] == {"const": True}
        real = document["paths"][path]["post"]["responses"]["200"]
        assert real["content"]["application/json"]["schema"]["properties"]["lock_ms"]["type"] == (
            "number"
        )
