"""POST /vicidial/leads/archive/lookup: archived leads by phone number, any hour, few columns."""

from __future__ import annotations

from typing import Any

from tests.support.apptools import Api, refused
from tests.support.dbtools import SyncDB, seed_leads

PATH = "/vicidial/leads/archive/lookup"


def _archive(db: SyncDB, count: int) -> None:
    seed_leads(db, count)
    db.execute("INSERT INTO vicidial_list_archive SELECT * FROM vicidial_list")
    db.execute("DELETE FROM vicidial_list")


def _post(api: Api, body: Any, **kwargs: Any) -> Any:
    return api.post(body, path=PATH, **kwargs)


def test_lookup_answers_the_archived_leads_of_a_number_even_in_office_hours(vdb: SyncDB) -> None:
    _archive(vdb, 30)
    vdb.execute(
        "UPDATE vicidial_list_archive SET phone_number = '5550102030' WHERE lead_id IN (4, 9)"
    )
    before = vdb.checksums()
    api = Api(vdb, office_hours="mon-sun 00:00-24:00")
    try:
        response = _post(api, {"phone_number": "(555) 010-2030"})
        assert response.status_code == 200, response.text
        data = response.json()
        assert (data["code"], data["count"], data["more"]) == ("ok", 2, False)
        assert [lead["lead_id"] for lead in data["leads"]] == [9, 4]
        assert set(data["leads"][0]) == {"lead_id", "list_id", "status", "modify_date"}
        none = _post(api, {"phone_number": "5550102031"}).json()
        assert (none["count"], none["leads"]) == (0, [])
    finally:
        api.close()
    assert vdb.checksums() == before


def test_lookup_says_when_there_are_more_than_it_shows(vdb: SyncDB) -> None:
    _archive(vdb, 60)
    vdb.execute("UPDATE vicidial_list_archive SET phone_number = '5550000000'")
    api = Api(vdb)
    try:
        data = _post(api, {"phone_number": "5550000000"}).json()
    finally:
        api.close()
    assert (data["count"], data["more"], len(data["leads"])) == (50, True, 50)


def test_lookup_refusals_come_from_the_table(vdb: SyncDB) -> None:
    _archive(vdb, 3)
    api = Api(vdb)
    try:
        refused(
            api,
            _post(api, {"phone_number": "5550102030"}, key="la_" + "x" * 43),
            401,
            "invalid_api_key",
        )
        for body in (
            {},
            {"phone_number": 5550102030},
            {"phone_number": "n/a"},
            {"phone_number": "1" * 19},
            {"phone_number": "5" + " " * 64},
        ):
            refused(api, _post(api, body), 400, "invalid_phone_number")
        data = refused(api, _post(api, {"phone_number": "1", "name": "x"}), 400, "unknown_field")
        assert data["errors"][0]["pointer"] == "#/name"
    finally:
        api.close()


def test_lookup_is_in_the_openapi_document(vdb: SyncDB) -> None:
    api = Api(vdb)
    try:
        document = api.request("GET", "/openapi.json").json()
    finally:
        api.close()
    post = document["paths"][PATH]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "phone_number"
    ]
    assert "invalid_phone_number" in post["responses"]["400"]["description"]
