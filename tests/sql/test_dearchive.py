"""The way back: dearchive_leads and POST /vicidial/leads/dearchive, on the same core."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.apptools import Api
from tests.support.apptools import refused as refused_http
from tests.support.dbtools import SyncDB, refused, seed_leads


def test_round_trip_restores_vicidial_list_byte_for_byte(vdb_any: SyncDB) -> None:
    db = vdb_any
    ids = seed_leads(db, 200, seed=11)
    db.execute("UPDATE vicidial_list SET entry_date = '0000-00-00 00:00:00' WHERE lead_id = 5")
    before = {i: db.row("vicidial_list", i) for i in ids}
    checksum = db.checksums(["vicidial_list"])
    for start in range(0, len(ids), 70):
        db.archive(ids[start : start + 70])
    assert db.ids("vicidial_list") == []
    for start in range(0, len(ids), 70):
        rows = db.dearchive(ids[start : start + 70])
        assert all(tuple(r[1:]) == (1, 0, 1, None) for r in rows)
    assert {i: db.row("vicidial_list", i) for i in ids} == before
    assert db.checksums(["vicidial_list"]) == checksum
    assert db.ids("vicidial_list_archive") == []


def test_a_lead_present_in_both_with_other_data_stays_archived(vdb: SyncDB) -> None:
    seed_leads(vdb, 3)
    vdb.archive([1, 2, 3], True, False, False)  # copies, vicidial_list keeps them
    vdb.execute("UPDATE vicidial_list SET last_name = 'Newer' WHERE lead_id = 2")
    newer = vdb.row("vicidial_list", 2)
    archived = vdb.row("vicidial_list_archive", 2)
    rows = vdb.dearchive([1, 2, 3])
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
        (1, 0, 1, None),
        (2, 0, 0, "mismatch"),
        (3, 0, 1, None),
    ]
    assert vdb.row("vicidial_list", 2) == newer
    assert vdb.row("vicidial_list_archive", 2) == archived


def test_ids_not_in_the_archive_are_refused(vdb: SyncDB) -> None:
    seed_leads(vdb, 3)
    vdb.archive([1])
    details = refused(vdb, "CALL dearchive_leads('[1,2]', TRUE, TRUE)", (), "leads_not_found")
    assert [int(r[0]) for r in details] == [2]


def test_dearchive_guard_checks_the_other_direction(vdb: SyncDB) -> None:
    """An archive column that vicidial_list lacks would be lost on the way back."""
    seed_leads(vdb, 1)
    vdb.archive([1])
    vdb.execute("ALTER TABLE vicidial_list DROP COLUMN entry_list_id")
    refused(vdb, "CALL dearchive_leads('[1]', TRUE, TRUE)", (), "schema_mismatch")


def test_insert_only_then_delete_only(vdb: SyncDB) -> None:
    seed_leads(vdb, 2)
    vdb.archive([1, 2])
    assert [tuple(r[1:]) for r in vdb.dearchive([1, 2], True, False)] == [(1, 0, 0, None)] * 2
    assert vdb.ids("vicidial_list_archive") == [1, 2]
    assert [tuple(r[1:]) for r in vdb.dearchive([1, 2], False, True)] == [(0, 0, 1, None)] * 2


def test_audit_names_the_operation(vdb: SyncDB) -> None:
    seed_leads(vdb, 1)
    vdb.archive([1])
    vdb.dearchive([1])
    assert [
        r[0] for r in vdb.execute("SELECT operation FROM lead_archive_audit ORDER BY audit_id")
    ] == ["archive", "dearchive"]


@pytest.fixture
def api(vdb: SyncDB) -> Iterator[Api]:
    seed_leads(vdb, 5)
    vdb.archive([1, 2, 3])
    instance = Api(vdb, office_hours="mon-sun 00:00-24:00")  # always office hours
    yield instance
    instance.close()


DEARCHIVE = "/vicidial/leads/dearchive"


def test_http_dearchive_success_during_office_hours(api: Api) -> None:
    response = api.post(
        {"insert_leads": True, "delete_leads": True, "lead_ids": [2, 1]}, path=DEARCHIVE
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["message"] == "lead_ids batch was successfully processed"
    assert (
        data["select_count"],
        data["insert_count"],
        data["delete_count"],
        data["kept_count"],
    ) == (2, 2, 2, 0)
    assert "update_count" not in data
    assert data["leads"][0] == {"lead_id": 2, "inserted": True, "deleted": True, "reason": None}
    assert api.db.ids("vicidial_list_archive") == [3]


def test_http_dearchive_contract_rows(api: Api) -> None:
    before = api.db.checksums()
    cases = [
        (
            {"insert_leads": True, "delete_leads": True, "update_leads": True, "lead_ids": [1]},
            400,
            "unknown_field",
        ),
        ({"insert_leads": 1, "delete_leads": True, "lead_ids": [1]}, 400, "invalid_insert_leads"),
        ({"insert_leads": True, "lead_ids": [1]}, 400, "invalid_delete_leads"),
        (
            {"insert_leads": True, "delete_leads": True, "lead_ids": [1, 1]},
            400,
            "duplicate_lead_ids",
        ),
    ]
    for sent, status, code in cases:
        refused_http(api, api.post(sent, path=DEARCHIVE), status, code)
    data = refused_http(
        api,
        api.post({"insert_leads": True, "delete_leads": True, "lead_ids": [1, 4]}, path=DEARCHIVE),
        400,
        "leads_not_found",
    )
    assert data["message"] == "specified lead_ids do not exist in vicidial_list_archive"
    assert data["lead_ids"] == [4]
    refused_http(
        api,
        api.post(
            {"insert_leads": True, "delete_leads": True, "lead_ids": [1]}, path=DEARCHIVE, key=None
        ),
        401,
        "invalid_api_key",
    )
    assert api.db.checksums() == before
