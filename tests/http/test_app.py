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

from tests.support.apptools import CONTRACT_BODY, Api, refused
from tests.support.dbtools import SyncDB, seed_leads


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
    from gateway.dev.mariadb_server import free_port

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
    api.db.execute("DROP PROCEDURE lead_archive_move_core")
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


def test_regression_readyz_names_no_column_or_type(api: Api) -> None:
    """The detail of a drift is for `lead-archive db check`, not for an unauthenticated
    route: /readyz says not ready with a generic reason."""
    api.db.execute(
        "ALTER TABLE vicidial_list_archive DROP COLUMN email,"
        " MODIFY called_since_last_reset ENUM('Y','N')"
    )
    response = api.request("GET", "/readyz")
    data = refused(api, response, 503, "not_ready")
    assert data["reason"] == "the tables or procedures do not pass lead-archive db check"
    text = response.text.lower()
    for detail in ("email", "called_since_last_reset", "enum", "varchar", "vicidial_list"):
        assert detail not in text, detail
    metrics = api.request("GET", "/metrics").text
    assert 'lead_archive_requests_total{code="not_ready",route="other"}' in metrics


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


# -- hardening ---------------------------------------------------------------------------------


def test_regression_a_trailing_slash_is_an_unknown_route(api: Api, unchanged: None) -> None:
    """It used to answer 307, with an empty body and a Location built from the Host header."""
    response = api.post(body(), path="/vicidial/leads/archive/", headers={"host": "evil.example"})
    refused(api, response, 404, "not_found")
    assert "location" not in response.headers
    response = api.post(body(), path="/vicidial/leads/dearchive/")
    refused(api, response, 404, "not_found")


@pytest.mark.parametrize(
    ("raw", "code", "echo"),
    [
        (b"[1e400]", "invalid_lead_ids", b'"lead_ids":[1e400]'),
        (b"[-1e400]", "invalid_lead_ids", b'"lead_ids":[-1e400]'),
        (b"[1, 2E+999]", "invalid_lead_ids", b'"lead_ids":[2E+999]'),
        (b'["\\udc00"]', "invalid_lead_ids", b'"lead_ids":["\\udc00"]'),
        (b'"\\ud800"', "invalid_lead_ids", b'"lead_ids":["\\ud800"]'),
        (b'[1], "\\ud800": 1', "unknown_field", b'"pointer":"#/%ED%A0%80"'),
    ],
)
def test_regression_numbers_out_of_range_and_lone_surrogates_are_400(
    api: Api, unchanged: None, raw: bytes, code: str, echo: bytes
) -> None:
    """They used to answer 500: a float infinity or a lone surrogate cannot be written back."""
    sent = b'{"insert_leads": true, "update_leads": true, "delete_leads": true, "lead_ids": '
    response = api.post(sent + raw + b"}")
    refused(api, response, 400, code)
    assert echo in response.content


def test_regression_an_unexpected_500_keeps_its_headers_log_and_count(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An error nothing answered (here: writing the 401 fails) is a catalogue 500 with the
    security headers, and the log line and the counter name what was sent."""
    from gateway.errors import Problem
    from gateway.http import metrics

    real = Problem.body

    def broken(self: Problem, request_id: str) -> dict[str, Any]:
        if self.code == "invalid_api_key":
            raise RuntimeError("writing the answer failed")
        return real(self, request_id)

    def count() -> float:
        labels = {"route": "archive", "code": "internal_error"}
        return metrics.REGISTRY.get_sample_value("lead_archive_requests_total", labels) or 0.0

    monkeypatch.setattr(Problem, "body", broken)
    before = count()
    with caplog.at_level("INFO", logger="lead_archive"):
        response = api.post(body(), key=None)
    data = refused(api, response, 500, "internal_error")
    assert set(data) == {"message", "http_code", "code", "request_id"}
    fields = [getattr(r, "fields", {}) for r in caplog.records if r.getMessage() == "request"]
    lines = [f for f in fields if f["request_id"] == data["request_id"]]
    assert [(line["status"], line["code"]) for line in lines] == [(500, "internal_error")]
    assert count() == before + 1


def test_regression_a_busy_pool_answers_503_in_time(vdb: SyncDB) -> None:
    """With every pooled connection held by calls waiting on a MyISAM lock, a bad key used to
    wait as long as the lock (and /readyz with it): now 503 database_unavailable within the
    pool timeout, /readyz within a few seconds on its own connection, /healthz at once."""
    import asyncio
    import time

    from tests.support.dbtools import SyncDB as Connection

    seed_leads(vdb, 4)
    api = Api(vdb, pool_size=2, pool_timeout=1.0)
    locker = Connection(vdb.url)
    try:
        locker.execute("LOCK TABLES vicidial_list WRITE")
        stuck = [
            asyncio.ensure_future(
                api.client.post(
                    "/vicidial/leads/archive",
                    headers={"authorization": f"Key={api.key}", "content-type": "application/json"},
                    json=body([i]),
                    timeout=120,
                ),
                loop=api.loop,
            )
            for i in (1, 2)
        ]
        # both calls hold a pooled connection once they wait on the lock
        waiting = 0
        for _ in range(100):
            api.loop.run_until_complete(asyncio.sleep(0.1))
            waiting = vdb.value(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                " WHERE DB = DATABASE()"
                " AND (STATE LIKE 'Waiting for table%' OR STATE = 'User lock')"
            )
            if waiting >= 2:
                break
        assert waiting == 2

        def timed(method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, float]:
            started = time.monotonic()
            answer = api.loop.run_until_complete(
                asyncio.wait_for(api.client.request(method, path, **kwargs), 15)
            )
            return answer, time.monotonic() - started

        health, health_s = timed("GET", "/healthz")
        bad, bad_s = timed(
            "POST",
            "/vicidial/leads/archive",
            headers={"authorization": "Key=la_" + "D" * 43, "content-type": "application/json"},
            json=body(),
        )
        ready, ready_s = timed("GET", "/readyz")
        assert health.status_code == 200 and health_s < 1
        refused(api, bad, 503, "database_unavailable")
        assert int(bad.headers["retry-after"]) > 0
        assert bad_s < 5
        assert ready.status_code in (200, 503) and ready_s < 5
        assert not any(task.done() for task in stuck), "the calls were still waiting"
    finally:
        locker.execute("UNLOCK TABLES")
        locker.close()
    done = api.loop.run_until_complete(asyncio.gather(*stuck))
    assert [r.status_code for r in done] == [200, 200]
    api.close()


def test_forged_forwarding_headers_count_against_the_peer(api: Api) -> None:
    """No trusted proxy (the default): 30 bad keys claiming 30 addresses are 30 failures of
    the peer's one address."""
    statuses = [
        api.post(
            body(),
            key="la_" + "E" * 43,
            headers={"x-forwarded-for": f"198.51.100.{i}", "forwarded": f"for=198.51.100.{i}"},
        ).status_code
        for i in range(30)
    ]
    assert statuses == [401] * 10 + [429] * 20


def test_regression_one_address_failures_never_refuse_another_valid_key(vdb: SyncDB) -> None:
    """Behind a trusted proxy each client is counted by the address the proxy saw; a peer
    that is not a trusted proxy is counted by its own address, whatever it claims."""
    seed_leads(vdb, 3)
    api = Api(vdb, trusted_proxies="10.0.0.5, 10.0.1.0/24")
    try:
        bad = "la_" + "F" * 43
        via_proxy = {"x-forwarded-for": "203.0.113.66, 198.51.100.1"}
        for _ in range(10):
            assert api.post(body(), key=bad, headers=via_proxy, peer="10.0.0.5").status_code == 401
        # the failing client is refused, even with the right key
        refused(api, api.post(body(), headers=via_proxy, peer="10.0.0.5"), 429, "too_many_requests")
        # another client of the same proxy, and the proxy itself, are not
        other = {"x-forwarded-for": "203.0.113.66, 198.51.100.2"}
        assert api.post(body([1]), headers=other, peer="10.0.0.5").status_code == 200
        assert api.post(body([2]), peer="10.0.0.5").status_code == 200
        # an untrusted peer forging the blocked client's address is itself
        forged = {"x-forwarded-for": "198.51.100.1", "forwarded": "for=198.51.100.1"}
        assert api.post(body([3]), headers=forged, peer="192.0.2.7").status_code == 200
        for _ in range(10):
            api.post(body(), key=bad, headers={"x-forwarded-for": "198.51.100.2"}, peer="192.0.2.8")
        assert api.post(body([3]), headers=other, peer="10.0.1.9").status_code == 400  # archived
        assert vdb.execute("SELECT client_address FROM lead_archive_audit ORDER BY audit_id") == [
            ("198.51.100.2",),
            ("10.0.0.5",),
            ("192.0.2.7",),
        ]
    finally:
        api.close()
