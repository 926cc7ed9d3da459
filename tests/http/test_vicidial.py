"""Keys bound to a VICIdial user and VICIdial's logs, over HTTP (httpx.ASGITransport against a
real database with VICIdial's users, user groups, campaigns, lists and logs), and
``lead-archive keys create NAME --vicidial-user USER``.

permission_denied is answered right after the key (row 1), before office hours and the body;
lead_access_denied right after leads_not_found (row 15), nothing written. Every
authenticated request leaves one vicidial_api_log row, refused ones included from office
hours on; every request that changed a lead, one vicidial_admin_log row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support import secrets, vicidial
from tests.support.apptools import CONTRACT_BODY, Api, refused
from tests.support.dbtools import SyncDB, seed_leads
from tests.support.processes import cli_env, run_cli

ALLOWED = "archiver"
DEARCHIVE = "/vicidial/leads/dearchive"
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def vv(vdb: SyncDB) -> SyncDB:
    vicidial.load(vdb)
    seed_leads(vdb, 40)
    vicidial.add_user(vdb, ALLOWED)
    return vdb


def make_api(db: SyncDB, **options: Any) -> Api:
    api = Api(db, add_key=False, **options)
    api.key = api.add_key("crm", ALLOWED)
    return api


@pytest.fixture
def api(vv: SyncDB) -> Iterator[Api]:
    instance = make_api(vv)
    yield instance
    instance.close()


def body(ids: Any = (1, 2), **flags: Any) -> dict[str, Any]:
    return {**CONTRACT_BODY, **flags, "lead_ids": list(ids)}


def back(ids: Any = (1, 2)) -> dict[str, Any]:
    return {"insert_leads": True, "delete_leads": True, "lead_ids": list(ids)}


@pytest.fixture
def unchanged(vv: SyncDB) -> Iterator[None]:
    before = vv.checksums()
    audits = vv.audit_count()
    yield
    assert vv.checksums() == before
    assert vv.audit_count() == audits


def api_rows(db: SyncDB) -> list[tuple[Any, ...]]:
    return [
        (r["user"], r["function"], r["result"], r["result_reason"], r["data"])
        for r in vicidial.api_log(db)
    ]


# -- the user's permission ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("user_level", 7),
        ("modify_leads", "0"),
        ("vdc_agent_api_access", "0"),
        ("api_allowed_functions", " lead_dearchive "),
    ],
)
def test_a_user_lacking_a_permission_gets_403(
    api: Api, vv: SyncDB, unchanged: None, field: str, value: Any
) -> None:
    vicidial.set_user(vv, ALLOWED, **{field: value})
    response = api.post(body(), headers={"x-request-id": "req-403"})
    data = refused(api, response, 403, "permission_denied")
    assert data["message"] == "api user does not have permission to use this function"
    assert "www-authenticate" not in response.headers
    assert api_rows(vv) == [
        (ALLOWED, "lead_archive", "ERROR", "permission_denied", "request_id=req-403")
    ]


def test_permission_is_checked_per_route(api: Api, vv: SyncDB) -> None:
    vv.archive([1, 2])
    vicidial.set_user(vv, ALLOWED, api_allowed_functions=" lead_archive ")
    assert api.post(body([3])).status_code == 200
    refused(api, api.post(back(), path=DEARCHIVE), 403, "permission_denied")
    vicidial.set_user(vv, ALLOWED, api_allowed_functions=" lead_dearchive ")
    assert api.post(back(), path=DEARCHIVE).status_code == 200
    refused(api, api.post(body([4])), 403, "permission_denied")


def test_permission_denied_comes_right_after_the_key(vv: SyncDB) -> None:
    """Before office hours, the content type and the body; after a bad key."""
    api = make_api(vv, office_hours="mon-fri 08:00-18:00", now=lambda: WEDNESDAY_NOON)
    try:
        vicidial.set_user(vv, ALLOWED, modify_leads="0")
        response = api.post(b"not json", headers={"content-type": "text/plain"})
        refused(api, response, 403, "permission_denied")
        refused(api, api.post(body(), key="la_" + "C" * 43), 401, "invalid_api_key")
        vicidial.set_user(vv, ALLOWED, modify_leads="1")
        response = api.post(b"not json", headers={"content-type": "text/plain"})
        refused(api, response, 403, "office_hours")
    finally:
        api.close()


@pytest.mark.parametrize(
    "change",
    ["UPDATE vicidial_users SET active = 'N'", "DELETE FROM vicidial_users"],
)
def test_a_missing_or_inactive_user_gets_401(
    api: Api, vv: SyncDB, unchanged: None, change: str
) -> None:
    vv.execute(change)
    response = api.post(body())
    data = refused(api, response, 401, "invalid_api_key")
    assert data["message"] == "unable to validate api user"
    assert response.headers["www-authenticate"] == "Key"
    assert vicidial.api_log(vv) == []  # not authenticated: nothing for VICIdial's log


def test_disabling_the_user_in_vicidial_refuses_the_next_request(api: Api, vv: SyncDB) -> None:
    assert api.post(body([1])).status_code == 200
    vicidial.set_user(vv, ALLOWED, active="N")
    refused(api, api.post(body([2])), 401, "invalid_api_key")
    vicidial.set_user(vv, ALLOWED, active="Y", vdc_agent_api_access="0")
    refused(api, api.post(body([2])), 403, "permission_denied")
    vicidial.set_user(vv, ALLOWED, vdc_agent_api_access="1")
    assert api.post(body([2])).status_code == 200
    assert vv.ids("vicidial_list_archive") == [1, 2]


# -- the list restriction ----------------------------------------------------------------------


@pytest.fixture
def restricted(api: Api, vv: SyncDB) -> Api:
    vicidial.set_user(vv, ALLOWED, api_list_restrict="1")
    return api


def test_leads_outside_the_campaigns_get_403_with_their_ids(
    restricted: Api, vv: SyncDB, unchanged: None
) -> None:
    sales = vicidial.leads_in(vv, {"SALES"})[:2]
    others = vicidial.leads_in(vv, {"SURVEY", "OLD"})[:2]
    response = restricted.post(body([sales[0], others[0], sales[1], others[1]]))
    data = refused(restricted, response, 403, "lead_access_denied")
    assert data["message"] == "api user is not allowed to modify these leads"
    assert (data["lead_errors"], data["lead_ids"]) == (2, others)
    assert [r[2:4] for r in api_rows(vv)] == [("ERROR", "lead_access_denied")]


def test_leads_of_the_allowed_campaigns_are_archived(restricted: Api, vv: SyncDB) -> None:
    sales = vicidial.leads_in(vv, {"SALES"})[:3]
    response = restricted.post(body(sales))
    assert response.status_code == 200, response.text
    assert response.json()["delete_count"] == 3


def test_all_campaigns_allows_every_lead(restricted: Api, vv: SyncDB) -> None:
    vv.execute("UPDATE vicidial_user_groups SET allowed_campaigns = ' -ALL-CAMPAIGNS- - '")
    response = restricted.post(body(range(1, 21)))
    assert response.status_code == 200, response.text
    assert response.json()["delete_count"] == 20


def test_missing_leads_are_answered_before_the_restriction(
    restricted: Api, vv: SyncDB, unchanged: None
) -> None:
    other = vicidial.leads_in(vv, {"OLD"})[0]
    data = refused(restricted, restricted.post(body([other, 999_999])), 400, "leads_not_found")
    assert data["lead_ids"] == [999_999]


LOOKUP = "/vicidial/leads/archive/lookup"


def test_lookup_of_a_restricted_user_shows_only_its_own_lists(restricted: Api, vv: SyncDB) -> None:
    """The look-up leaves out the leads of lists the user may not see: no refusal, no
    `more`, nothing that tells a hidden lead has the number."""
    vv.archive(list(range(1, 41)))
    own = vicidial.leads_in(vv, {"SALES"}, "vicidial_list_archive")[0]
    other = vicidial.leads_in(vv, {"SURVEY", "OLD"}, "vicidial_list_archive")[0]
    vv.execute(
        "UPDATE vicidial_list_archive SET phone_number = '5550102030' WHERE lead_id IN (%s, %s)",
        (own, other),
    )
    response = restricted.post({"phone_number": "(555) 010-2030"}, path=LOOKUP)
    assert response.status_code == 200, response.text
    data = response.json()
    assert [lead["lead_id"] for lead in data["leads"]] == [own]
    assert (data["count"], data["more"]) == (1, False)
    vicidial.set_user(vv, ALLOWED, api_list_restrict="0")
    data = restricted.post({"phone_number": "5550102030"}, path=LOOKUP).json()
    assert [lead["lead_id"] for lead in data["leads"]] == sorted((own, other), reverse=True)


def test_lookup_leaves_an_api_log_row_unless_off(api: Api, vv: SyncDB) -> None:
    vv.archive([1, 2])
    vv.execute("UPDATE vicidial_list_archive SET phone_number = '5550102030' WHERE lead_id = 2")
    admin_rows = vicidial.admin_log(vv)  # the direct archive's
    found = api.post({"phone_number": "5550102030"}, path=LOOKUP, headers={"x-request-id": "r-l"})
    assert found.status_code == 200, found.text
    refused(
        api,
        api.post({"phone_number": 5}, path=LOOKUP, headers={"x-request-id": "r-bad"}),
        400,
        "invalid_phone_number",
    )
    assert api_rows(vv) == [
        (ALLOWED, "lead_archive", "SUCCESS", "ok", "request_id=r-l|lookup_count=1"),
        (ALLOWED, "lead_archive", "ERROR", "invalid_phone_number", "request_id=r-bad"),
    ]
    assert vicidial.api_log(vv)[0]["value"] == "[2]"
    assert vicidial.admin_log(vv) == admin_rows  # nothing changed
    quiet = Api(vv, add_key=False, vicidial_log=False)
    quiet.key = api.key
    try:
        assert quiet.post({"phone_number": "5550102030"}, path=LOOKUP).status_code == 200
        refused(quiet, quiet.post({"phone_number": 5}, path=LOOKUP), 400, "invalid_phone_number")
    finally:
        quiet.close()
    assert len(vicidial.api_log(vv)) == 2


# -- VICIdial's logs ---------------------------------------------------------------------------


def test_a_request_that_changed_leads_leaves_one_row_in_each_log(api: Api, vv: SyncDB) -> None:
    response = api.post(body([1, 2]), headers={"x-request-id": "req-ok"})
    assert response.status_code == 200
    [admin] = vicidial.admin_log(vv)
    assert (admin["user"], admin["ip_address"], admin["event_code"]) == (
        ALLOWED,
        "127.0.0.1",
        "LEAD ARCHIVE API",
    )
    assert "|request_id req-ok|" in admin["event_notes"]
    [(user, function, result, reason, data)] = api_rows(vv)
    assert (user, function, result, reason) == (ALLOWED, "lead_archive", "SUCCESS", "ok")
    assert data.startswith("request_id=req-ok|")
    back_response = api.post(back([1]), path=DEARCHIVE, headers={"x-request-id": "req-back"})
    assert back_response.status_code == 200
    assert vicidial.admin_log(vv)[-1]["event_code"] == "LEAD DEARCHIVE API"
    assert api_rows(vv)[-1][1:4] == ("lead_dearchive", "SUCCESS", "ok")


@pytest.mark.parametrize(
    ("send", "status", "code"),
    [
        (
            {"content": b"{}", "headers": {"content-type": "text/plain"}},
            415,
            "unsupported_media_type",
        ),
        ({"content": b"[" + b"1," * 40_000 + b"1]"}, 413, "payload_too_large"),
        ({"content": b"not json"}, 400, "malformed_json"),
        ({"body": {**body(), "extra": 1}}, 400, "unknown_field"),
        ({"body": body([1, 1])}, 400, "duplicate_lead_ids"),
        ({"body": body([999_999])}, 400, "leads_not_found"),
    ],
)
def test_refused_requests_leave_an_api_log_row(
    api: Api, vv: SyncDB, unchanged: None, send: dict[str, Any], status: int, code: str
) -> None:
    headers = {"x-request-id": "req-refused", **send.get("headers", {})}
    response = api.post(send.get("body"), content=send.get("content"), headers=headers)
    refused(api, response, status, code)
    assert api_rows(vv) == [(ALLOWED, "lead_archive", "ERROR", code, "request_id=req-refused")]
    assert vicidial.admin_log(vv) == []


def test_office_hours_refusal_leaves_an_api_log_row(vv: SyncDB) -> None:
    api = make_api(vv, office_hours="mon-fri 08:00-18:00", now=lambda: WEDNESDAY_NOON)
    try:
        refused(api, api.post(body(), headers={"x-request-id": "req-oh"}), 403, "office_hours")
    finally:
        api.close()
    assert api_rows(vv) == [(ALLOWED, "lead_archive", "ERROR", "office_hours", "request_id=req-oh")]
    assert float(vicidial.api_log(vv)[0]["run_time"]) >= 0


def test_unauthenticated_requests_leave_no_api_log_row(api: Api, vv: SyncDB) -> None:
    for _ in range(11):  # the last one is throttled (429)
        api.post(body(), key="la_" + "D" * 43)
    assert api.post(body()).status_code == 429
    assert vicidial.api_log(vv) == []


def test_an_unbound_key_is_logged_under_its_api_users_name(api: Api, vv: SyncDB) -> None:
    key = api.add_key("crm-plain")
    assert api.post(body([5]), key=key).status_code == 200
    refused(api, api.post(b"{", key=key), 400, "malformed_json")
    assert [r[0] for r in api_rows(vv)] == ["crm-plain", "crm-plain"]
    assert vicidial.admin_log(vv)[0]["user"] == "crm-plain"


def test_logs_off_write_nothing(vv: SyncDB) -> None:
    api = make_api(vv, vicidial_log=False)
    try:
        assert api.post(body([1, 2])).status_code == 200
        refused(api, api.post(b"{"), 400, "malformed_json")
        refused(api, api.post(body([999_999])), 400, "leads_not_found")
        vicidial.set_user(vv, ALLOWED, user_level=1)
        refused(api, api.post(body([3])), 403, "permission_denied")
    finally:
        api.close()
    assert vicidial.admin_log(vv) == [] and vicidial.api_log(vv) == []
    assert vv.value("SELECT vicidial_log FROM lead_archive_audit") == "off"


def test_regression_failing_vicidial_logs_never_fail_a_request(
    api: Api, vv: SyncDB, caplog: pytest.LogCaptureFixture
) -> None:
    """Both log tables refuse every insert: the leads are archived and answered as usual,
    the audit row says why VICIdial's logs lack them, the refusals are answered as they are,
    and the gateway's own log says when a refusal's row could not be written."""
    for table in ("vicidial_admin_log", "vicidial_api_log"):
        vv.execute(
            f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW "
            "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'read only'"
        )
    before = {i: vv.row("vicidial_list", i) for i in (1, 2)}
    response = api.post(body([1, 2]))
    assert response.status_code == 200, response.text
    assert response.json()["delete_count"] == 2
    assert {i: vv.row("vicidial_list_archive", i) for i in (1, 2)} == before
    assert vv.value("SELECT vicidial_log FROM lead_archive_audit") == (
        "admin_log error 1644, api_log error 1644"
    )
    with caplog.at_level("INFO", logger="lead_archive"):
        refused(api, api.post(b"{", headers={"x-request-id": "req-x"}), 400, "malformed_json")
    [warning] = [r for r in caplog.records if r.getMessage() == "VICIdial api log not written"]
    assert getattr(warning, "fields", {}) == {"request_id": "req-x", "outcome": "error 1644"}
    refused(api, api.post(body([999_999])), 400, "leads_not_found")
    assert vicidial.admin_log(vv) == [] and vicidial.api_log(vv) == []


def test_missing_log_tables_are_no_problem(api: Api, vv: SyncDB) -> None:
    vv.execute("DROP TABLE vicidial_admin_log, vicidial_api_log")
    assert api.post(body([1])).status_code == 200
    refused(api, api.post(b"{"), 400, "malformed_json")
    assert vv.value("SELECT vicidial_log FROM lead_archive_audit") == (
        "admin_log absent, api_log absent"
    )


def test_a_refusal_is_answered_while_the_database_is_gone(api: Api, vv: SyncDB) -> None:
    """The refusal's log row is written after the answer; a database that does not answer
    then changes nothing in the answer."""

    async def unreachable(*args: Any) -> str:
        raise OSError("database gone")

    api.database.log_refusal = unreachable  # type: ignore[method-assign]
    refused(api, api.post(b"{"), 400, "malformed_json")


# -- lead-archive keys create --vicidial-user --------------------------------------------------


def test_keys_create_binds_a_key_to_an_existing_vicidial_user(vv: SyncDB) -> None:
    env = cli_env(vv)
    missing = run_cli("keys", "create", "crm", "--vicidial-user", "nobody", env=env)
    assert missing.returncode == 2
    assert "VICIdial user nobody does not exist: no vicidial_users row has that user" in (
        missing.stderr
    )
    assert vv.value("SELECT COUNT(*) FROM lead_archive_api_users") == 0
    done = run_cli("keys", "create", "crm", "--vicidial-user", ALLOWED, env=env)
    assert done.returncode == 0, done.stderr
    assert f"bound to VICIdial user {ALLOWED}" in done.stdout
    key = done.stdout.strip().splitlines()[-1]
    secrets.register(key)
    listing = run_cli("keys", "list", env=env).stdout.splitlines()
    assert listing[0].split()[-2:] == ["vicidial", "user"]
    assert [line.split()[-1] for line in listing[1:]] == [ALLOWED]
    api = Api(vv, add_key=False)
    try:
        api.key = key
        vicidial.set_user(vv, ALLOWED, modify_leads="0")
        refused(api, api.post(body([1])), 403, "permission_denied")
    finally:
        api.close()


def test_keys_create_without_vicidial_tables_says_so(vdb: SyncDB) -> None:
    done = run_cli("keys", "create", "crm", "--vicidial-user", "6666", env=cli_env(vdb))
    assert done.returncode == 2
    assert "this database has no vicidial_users table" in done.stderr
    plain = run_cli("keys", "create", "crm", env=cli_env(vdb))
    assert plain.returncode == 0
    secrets.register(plain.stdout.strip().splitlines()[-1])
    listing = run_cli("keys", "list", env=cli_env(vdb)).stdout.splitlines()
    assert listing[1].split()[-1] == "-"


def test_the_openapi_document_names_the_new_refusals(api: Api) -> None:
    document = api.request("GET", "/openapi.json").json()
    for path in ("/vicidial/leads/archive", DEARCHIVE):
        forbidden = document["paths"][path]["post"]["responses"]["403"]
        codes = forbidden["content"]["application/json"]["schema"]["properties"]["code"]["enum"]
        assert {"permission_denied", "lead_access_denied"} <= set(codes)
