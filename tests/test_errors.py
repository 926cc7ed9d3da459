"""The catalogue is the one place codes live; the SQL raises only codes it knows."""

from __future__ import annotations

import re

from gateway.admin.installer import SQL_DIR
from gateway.errors import BODY_CHECK_ORDER, CATALOGUE, Problem

CONTRACT_CODES = {
    "invalid_api_key": 401,
    "permission_denied": 403,
    "office_hours": 403,
    "unsupported_media_type": 415,
    "payload_too_large": 413,
    "malformed_json": 400,
    "invalid_insert_leads": 400,
    "invalid_update_leads": 400,
    "invalid_delete_leads": 400,
    "missing_lead_ids": 400,
    "invalid_lead_ids": 400,
    "too_many_lead_ids": 400,
    "duplicate_lead_ids": 400,
    "unknown_field": 400,
    "schema_mismatch": 409,
    "leads_not_found": 400,
    "lead_access_denied": 403,
    "database_unavailable": 503,
    "internal_error": 500,
}


def test_every_contract_code_has_its_status() -> None:
    assert {c: CATALOGUE[c].status for c in CONTRACT_CODES} == CONTRACT_CODES


def test_every_code_the_sql_raises_is_in_the_catalogue() -> None:
    raised: set[str] = set()
    for path in (SQL_DIR / "procedures").glob("*.sql"):
        raised |= set(re.findall(r"'([a-z_]+): ", path.read_text()))
    assert raised, "no SIGNAL codes found"
    assert raised <= set(CATALOGUE), raised - set(CATALOGUE)
    assert {"duplicate_lead_ids", "leads_not_found", "schema_mismatch"} <= raised


def test_body_order_follows_the_contract() -> None:
    assert list(BODY_CHECK_ORDER) == [c for c in CONTRACT_CODES if c in BODY_CHECK_ORDER]


def test_body_keeps_published_keys_and_adds_codes() -> None:
    got = Problem("duplicate_lead_ids", extra={"lead_ids": [7], "errors": []}).body("r1")
    assert got == {
        "message": "lead_ids cannot contain duplicate values",
        "lead_errors": 1,
        "lead_ids": [7],
        "http_code": 400,
        "code": "duplicate_lead_ids",
        "request_id": "r1",
        "errors": [],
    }
