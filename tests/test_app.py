"""Every refusal of the README's error table through httpx.ASGITransport against a real MariaDB.

Each refusal asserts status, ``code``, the published message, the content type, the headers
the README names, and that nothing changed in either lead table.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gateway.errors import CATALOGUE
from tests.apptools import CONTRACT_BODY, Api
from tests.dbtools import SyncDB, seed_leads


@pytest.fixture
def api(vdb: SyncDB) -> Iterator[Api]:
    seed_leads(vdb, 20)
    instance = Api(vdb)
    yield instance
    instance.close()


def body(ids: Any = (1, 2), **flags: Any) -> dict[str, Any]:
    out: dict[str, Any] = {**CONTRACT_BODY, **flags}
    out["lead_ids"] = list(ids) if isinstance(ids, tuple) else ids
    return out


def refused(api: Api, response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    data: dict[str, Any] = response.json()
    assert data["code"] == code
    assert data["http_code"] == status
    assert data["request_id"] == response.headers["x-request-id"]
    if "{" not in CATALOGUE[code].message:
        assert data["message"] == CATALOGUE[code].message
    return data


@pytest.fixture
def unchanged(api: Api) -> Iterator[None]:
    before = api.db.checksums()
    audits = api.db.audit_count()
    yield
    assert api.db.checksums() == before
    assert api.db.audit_count() == audits


# -- 1. authentication ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "", "Key=", "Bearer la_x", "Key=not-a-key", "Key=la_" + "A" * 43, "Key = la_x"],
)
def test_1_bad_or_unknown_key(api: Api, unchanged: None, header: str | None) -> None:
    headers = {"authorization": header} if header is not None else {}
    response = api.post(body(), key=None, headers=headers)
    data = refused(api, response, 401, "invalid_api_key")
    assert data["message"] == "unable to validate api user"
    assert response.headers["www-authenticate"] == "Key"


def test_1_revoked_key_is_refused_at_once(api: Api, unchanged: None) -> None:
    assert api.post(body(), headers={"content-type": "text/plain"}).status_code == 415
    api.db.call("lead_archive_key_revoke", "crm")
    refused(api, api.post(body()), 401, "invalid_api_key")


def test_1_auth_comes_before_everything(api: Api, unchanged: None) -> None:
    response = api.post(b"not json", key=None, headers={"content-type": "text/plain"})
    refused(api, response, 401, "invalid_api_key")


def test_repeated_failures_are_throttled(api: Api, unchanged: None) -> None:
    for _ in range(10):
        assert api.post(body(), key="la_" + "B" * 43).status_code == 401
    response = api.post(body())  # even the right key waits now
    refused(api, response, 429, "too_many_requests")
    assert int(response.headers["retry-after"]) > 0


# -- 2. office hours --------------------------------------------------------------------------


def test_2_office_hours_refuse_with_seconds_until_close(vdb: SyncDB) -> None:
    seed_leads(vdb, 2)
    wednesday = datetime(2026, 11, 25, 17, 59, 30, tzinfo=UTC)
    api = Api(vdb, office_hours="mon-fri 08:00-18:00", now=lambda: wednesday)
    try:
        before = vdb.checksums()
        response = api.post(body(), headers={"content-type": "text/plain"})
        data = refused(api, response, 403, "office_hours")
        assert data["message"] == "api cannot be executed during office hours time condition"
        assert response.headers["retry-after"] == "30"
        assert vdb.checksums() == before
        # the way back is allowed during office hours
        assert api.post(body([1]), path="/vicidial/leads/dearchive").status_code == 400
    finally:
        api.close()


def test_2_outside_office_hours_the_call_runs(vdb: SyncDB) -> None:
    seed_leads(vdb, 2)
    evening = datetime(2026, 11, 25, 18, 0, 0, tzinfo=UTC)
    api = Api(vdb, office_hours="mon-fri 08:00-18:00", now=lambda: evening)
    try:
        assert api.post(body()).status_code == 200
    finally:
        api.close()


# -- 3, 4. content type and size --------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_3_content_type_must_be_json(api: Api, unchanged: None, content_type: str) -> None:
    response = api.post(body(), headers={"content-type": content_type})
    refused(api, response, 415, "unsupported_media_type")


def test_3_json_with_charset_is_accepted(api: Api) -> None:
    response = api.post(
        body([1], delete_leads=False), headers={"content-type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 200


def test_4_large_body(api: Api, unchanged: None) -> None:
    big = b'{"lead_ids": [' + b"1," * 40_000 + b"1]}"
    refused(api, api.post(big), 413, "payload_too_large")


def test_4_large_chunked_body_without_length(api: Api, unchanged: None) -> None:
    async def chunks() -> Any:
        yield b'{"lead_ids": ['
        for _ in range(100):
            yield b"1," * 500
        yield b"1]}"

    response = api.post(content=chunks())
    refused(api, response, 413, "payload_too_large")


# -- 5-13. the body ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"{",
        b"[1, 2]",
        b'"x"',
        b"null",
        b"1",
        b'{"lead_ids": [NaN]}',
        b'{"a": 1, "a": 2}',
        b"\xff\xfe",
    ],
)
def test_5_malformed_json(api: Api, unchanged: None, raw: bytes) -> None:
    data = refused(api, api.post(raw), 400, "malformed_json")
    assert data["message"] == "request body must be a json object"


@pytest.mark.parametrize("flag", ["insert_leads", "update_leads", "delete_leads"])
@pytest.mark.parametrize("value", [1, 0, "true", None, [True], "missing"])
def test_6_7_8_flags_must_be_booleans(api: Api, unchanged: None, flag: str, value: Any) -> None:
    sent = body()
    if value == "missing":
        del sent[flag]
    else:
        sent[flag] = value
    data = refused(api, api.post(sent), 400, f"invalid_{flag}")
    assert data["message"] == f"{flag} must be a boolean value"
    assert data["errors"][0]["pointer"] == f"#/{flag}"


@pytest.mark.parametrize("ids", [None, [], "missing"])
def test_9_missing_lead_ids(api: Api, unchanged: None, ids: Any) -> None:
    sent = body(ids)
    if ids == "missing":
        del sent["lead_ids"]
    data = refused(api, api.post(sent), 400, "missing_lead_ids")
    assert data["message"] == "lead_ids must contain atleast 1 value"


def test_10_invalid_items_are_listed_as_sent(api: Api, unchanged: None) -> None:
    sent = body([1, "7", 7.0, True, -1, 0, 4294967296, [3], None, 2])
    data = refused(api, api.post(sent), 400, "invalid_lead_ids")
    assert data["message"] == "lead_ids must only contain integer values"
    assert data["lead_ids"] == ["7", 7.0, True, -1, 0, 4294967296, [3], None]
    assert data["lead_errors"] == 8
    assert [e["pointer"] for e in data["errors"]] == [f"#/lead_ids/{i}" for i in range(1, 9)]


def test_10_lead_ids_not_a_list(api: Api, unchanged: None) -> None:
    data = refused(api, api.post(body("1,2")), 400, "invalid_lead_ids")
    assert data["lead_ids"] == ["1,2"]


def test_11_too_many(api: Api, unchanged: None) -> None:
    data = refused(api, api.post(body(list(range(1, 502)))), 400, "too_many_lead_ids")
    assert data["message"] == "lead_ids cannot exceed 500 values"


def test_11_configured_limit(vdb: SyncDB) -> None:
    api = Api(vdb, max_leads=3)
    try:
        data = refused(api, api.post(body([1, 2, 3, 4])), 400, "too_many_lead_ids")
        assert data["message"] == "lead_ids cannot exceed 3 values"
    finally:
        api.close()


def test_12_duplicates_as_in_the_contract(api: Api, unchanged: None) -> None:
    data = refused(api, api.post(body([5, 6, 7, 7, 6, 7])), 400, "duplicate_lead_ids")
    assert data["message"] == "lead_ids cannot contain duplicate values"
    assert data["lead_ids"] == [7, 6]
    assert data["lead_errors"] == 2
    assert data["errors"][0] == {"pointer": "#/lead_ids/3", "detail": "7 appears more than once"}
    assert len(data["errors"]) == 3


def test_13_unknown_field(api: Api, unchanged: None) -> None:
    sent = {**body(), "dry/run~": True}
    data = refused(api, api.post(sent), 400, "unknown_field")
    assert data["message"] == "unknown field in request body"
    assert data["errors"] == [{"pointer": "#/dry~1run~0", "detail": '"dry/run~" is not a field'}]


def test_every_body_problem_is_listed_first_one_named(api: Api, unchanged: None) -> None:
    sent = {"insert_leads": "yes", "update_leads": True, "lead_ids": [1, 1, "x"], "extra": 1}
    data = refused(api, api.post(sent), 400, "invalid_insert_leads")
    codes = [e["pointer"] for e in data["errors"]]
    assert codes == ["#/insert_leads", "#/delete_leads", "#/lead_ids/2", "#/lead_ids/1", "#/extra"]


# -- 14, 15. the database refuses -------------------------------------------------------------


def test_14_schema_mismatch(api: Api) -> None:
    api.db.execute("ALTER TABLE vicidial_list_archive DROP COLUMN email")
    before = api.db.checksums()
    data = refused(api, api.post(body()), 409, "schema_mismatch")
    assert data["message"] == "vicidial_list_archive does not match vicidial_list"
    assert data["columns"] == [{"column": "email", "problem": "missing from vicidial_list_archive"}]
    assert api.db.checksums() == before


def test_15_leads_not_found(api: Api) -> None:
    api.post(body([3]))
    before = api.db.checksums()
    data = refused(api, api.post(body([1, 3, 999])), 400, "leads_not_found")
    assert data["message"] == "specified lead_ids do not exist in vicidial_list"
    assert data["lead_ids"] == [3, 999]
    assert data["lead_errors"] == 2
    assert data["already_archived"] == [3]
    assert api.db.checksums() == before


# -- 16, 17. the database is away or broken ---------------------------------------------------


def test_16_database_unavailable(vdb: SyncDB) -> None:
    from gateway.dburl import DatabaseURL
    from gateway.mariadb_server import free_port

    api = Api(vdb)
    api.database.url = DatabaseURL("root", "", "127.0.0.1", free_port(), "nowhere")
    try:
        response = api.post(body(), key="la_" + "C" * 43)
        data = refused(api, response, 503, "database_unavailable")
        assert data["message"] == "database is unavailable, retry later"
        assert int(response.headers["retry-after"]) > 0
    finally:
        api.close()


def test_17_internal_error_tells_nothing(api: Api, unchanged: None) -> None:
    api.db.execute("DROP PROCEDURE lead_archive_move")
    data = refused(api, api.post(body()), 500, "internal_error")
    assert data["message"] == "internal error"
    assert set(data) == {"message", "http_code", "code", "request_id"}


# -- success ----------------------------------------------------------------------------------


def test_success_counts_equal_the_tables(api: Api) -> None:
    db = api.db
    db.archive([2, 3], True, False, False)
    db.execute("UPDATE vicidial_list SET comments = 'changed after copy' WHERE lead_id = 2")
    db.execute("INSERT INTO vicidial_hopper (lead_id, list_id) VALUES (4, 101)")
    response = api.post(body([1, 2, 3, 4]))
    assert response.status_code == 200
    data = response.json()
    assert data["message"] == "lead_ids batch was successfully processed"
    assert (
        data["select_count"],
        data["insert_count"],
        data["update_count"],
        data["delete_count"],
        data["kept_count"],
        data["http_code"],
    ) == (4, 2, 1, 3, 1, 200)
    assert data["leads"] == [
        {"lead_id": 1, "inserted": True, "updated": False, "deleted": True, "reason": None},
        {"lead_id": 2, "inserted": False, "updated": True, "deleted": True, "reason": None},
        {"lead_id": 3, "inserted": False, "updated": False, "deleted": True, "reason": None},
        {"lead_id": 4, "inserted": True, "updated": False, "deleted": False, "reason": "busy"},
    ]
    assert 4 in db.ids("vicidial_list") and 1 not in db.ids("vicidial_list")
    assert db.ids("vicidial_list_archive")[:4] == [1, 2, 3, 4]
    assert db.execute(
        "SELECT actor, request_id FROM lead_archive_audit ORDER BY audit_id DESC LIMIT 1"
    ) == [("crm", data["request_id"])]


def test_incoming_request_id_is_echoed(api: Api) -> None:
    response = api.post(body([1], delete_leads=False), headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["request_id"] == "abc-123"
    odd = api.post(body([1], delete_leads=False), headers={"x-request-id": "bad id;drop"})
    assert odd.headers["x-request-id"] != "bad id;drop"


# -- other routes -----------------------------------------------------------------------------


def test_health_ready_metrics_openapi(api: Api) -> None:
    assert api.request("GET", "/healthz").json() == {"status": "alive"}
    assert api.request("GET", "/readyz").json() == {"status": "ready"}
    api.post(body([1]))
    metrics = api.request("GET", "/metrics").text
    assert 'lead_archive_requests_total{code="ok",route="archive"}' in metrics
    assert "lead_archive_call_seconds_bucket" in metrics
    spec = api.request("GET", "/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    codes = spec["paths"]["/vicidial/leads/archive"]["post"]["responses"]
    assert {"200", "400", "401", "403", "409", "413", "415", "429", "500", "503"} <= set(codes)


def test_readyz_reports_drift(api: Api) -> None:
    api.db.execute("ALTER TABLE vicidial_list_archive DROP COLUMN email")
    response = api.request("GET", "/readyz")
    assert response.status_code == 503
    assert any("email" in p for p in response.json()["problems"])


def test_unknown_route_and_method_answer_json(api: Api) -> None:
    missing = api.request("GET", "/nope")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    wrong = api.request("GET", "/vicidial/leads/archive")
    assert (wrong.status_code, wrong.json()["code"]) == (405, "method_not_allowed")
    assert wrong.headers["content-type"] == "application/json"


def test_office_hours_from_a_vicidial_call_time(vdb: SyncDB) -> None:
    from dataclasses import replace

    seed_leads(vdb, 2)
    vdb.execute(
        "INSERT INTO vicidial_call_times (call_time_id, call_time_name, ct_default_start,"
        " ct_default_stop) VALUES ('9am-9pm', 'day', 900, 2100)"
    )
    wednesday = datetime(2026, 11, 25, 20, 0, 0, tzinfo=UTC)
    api = Api(vdb, now=lambda: wednesday)
    api.settings = replace(api.settings, call_time_id="9am-9pm")
    api.app.state.gateway.settings = api.settings
    try:
        response = api.post(body())
        refused(api, response, 403, "office_hours")
        assert response.headers["retry-after"] == "3600"
        api.settings = replace(api.settings, call_time_id="missing")
        api.app.state.gateway.settings = api.settings
        api.app.state.gateway._call_time = None
        refused(api, api.post(body()), 500, "internal_error")
    finally:
        api.close()
