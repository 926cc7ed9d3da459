"""The OpenAPI 3.1 description of the gateway, built from the error catalogue."""

from __future__ import annotations

from typing import Any

from gateway import __version__
from gateway.contract import (
    LOOKUP_LIMIT,
    LOOKUP_PATH,
    MAX_LEAD_ID,
    MAX_PHONE_TEXT,
    PLAN_SUFFIX,
    ROUTES,
)
from gateway.errors import CATALOGUE, Code

# Codes no move route answers: other routes' and the command line's
_NOT_MOVES = {
    "not_ready",
    "not_found",
    "method_not_allowed",
    "invalid_phone_number",
    "invalid_selection",
    "user_exists",
}
_ROUTE_CODES = {
    "archive": [c for c in CATALOGUE if c not in _NOT_MOVES],
    "dearchive": [
        c for c in CATALOGUE if c not in _NOT_MOVES | {"office_hours", "invalid_update_leads"}
    ],
}
_LOOKUP_CODES: list[Code] = [
    "invalid_api_key",
    "permission_denied",
    "too_many_requests",
    "unsupported_media_type",
    "payload_too_large",
    "malformed_json",
    "invalid_phone_number",
    "unknown_field",
    "database_unavailable",
    "internal_error",
]


def _body(flags: tuple[str, ...], max_leads: int) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [*flags, "lead_ids"],
        "properties": {
            **{f: {"type": "boolean"} for f in flags},
            "lead_ids": {
                "type": "array",
                "minItems": 1,
                "maxItems": max_leads,
                "uniqueItems": True,
                "items": {"type": "integer", "minimum": 1, "maximum": MAX_LEAD_ID},
            },
        },
    }


def _success(with_update: bool, plan: bool = False) -> dict[str, Any]:
    lead = {
        "lead_id": {"type": "integer"},
        "inserted": {"type": "boolean"},
        "deleted": {"type": "boolean"},
        "reason": {"type": ["string", "null"], "enum": [None, "mismatch", "not_archived", "busy"]},
    }
    counts = ["select_count", "insert_count", "delete_count", "kept_count"]
    if with_update:
        lead["updated"] = {"type": "boolean"}
        counts.append("update_count")
    return {
        "type": "object",
        "required": ["message", "http_code", "request_id", "leads", *counts],
        "properties": {
            "message": {
                "const": "lead_ids batch was planned: nothing was written"
                if plan
                else "lead_ids batch was successfully processed"
            },
            "http_code": {"const": 200},
            "code": {"const": "ok"},
            "request_id": {"type": "string"},
            **{c: {"type": "integer"} for c in counts},
            "leads": {"type": "array", "items": {"type": "object", "properties": lead}},
            **(
                {"dry_run": {"const": True}}
                if plan
                else {
                    "lock_ms": {
                        "type": "number",
                        "description": "the longest a single statement of the call held "
                        "vicidial_list, in ms",
                    }
                }
            ),
        },
    }


def _lookup_success() -> dict[str, Any]:
    lead = {
        "lead_id": {"type": "integer"},
        "list_id": {"type": "integer"},
        "status": {"type": ["string", "null"]},
        "modify_date": {"type": "string"},
    }
    return {
        "type": "object",
        "required": ["message", "http_code", "code", "request_id", "count", "more", "leads"],
        "properties": {
            "http_code": {"const": 200},
            "code": {"const": "ok"},
            "request_id": {"type": "string"},
            "count": {"type": "integer", "maximum": LOOKUP_LIMIT},
            "more": {"type": "boolean"},
            "leads": {
                "type": "array",
                "maxItems": LOOKUP_LIMIT,
                "items": {"type": "object", "properties": lead},
            },
        },
    }


def _problems(codes: list[Code], max_leads: int, source: str, target: str) -> dict[str, Any]:
    by_status: dict[int, list[Code]] = {}
    for code in codes:
        by_status.setdefault(CATALOGUE[code].status, []).append(code)
    out: dict[str, Any] = {}
    for status, names in sorted(by_status.items()):
        out[str(status)] = {
            "description": ", ".join(names),
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["message", "http_code", "code", "request_id"],
                        "properties": {
                            "message": {
                                "enum": [
                                    CATALOGUE[n].message.format(
                                        max_leads=max_leads,
                                        source=source,
                                        target=target,
                                    )
                                    for n in names
                                ]
                            },
                            "http_code": {"const": status},
                            "code": {"enum": names},
                            "request_id": {"type": "string"},
                            "lead_errors": {"type": "integer"},
                            "lead_ids": {"type": "array"},
                            "errors": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "pointer": {"type": "string"},
                                        "detail": {"type": "string"},
                                    },
                                },
                            },
                        },
                    }
                }
            },
        }
    return out


def openapi_document(max_leads: int) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in ROUTES.values():
        name = route.direction
        paths[route.path] = {
            "post": {
                "operationId": f"{name}_leads",
                "security": [{"apiKey": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _body(route.flags, max_leads)}},
                },
                "responses": {
                    "200": {
                        "description": "processed",
                        "content": {
                            "application/json": {"schema": _success("update_leads" in route.flags)}
                        },
                    },
                    **_problems(_ROUTE_CODES[name], max_leads, route.source, route.target),
                },
            }
        }
        plan_codes: list[Code] = [c for c in _ROUTE_CODES[name] if c != "office_hours"]
        paths[route.path + PLAN_SUFFIX] = {
            "post": {
                "operationId": f"{name}_leads_plan",
                "summary": "What the route would do now: the same checks and answer, nothing "
                "written, no audit row. Allowed at any hour.",
                "security": [{"apiKey": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _body(route.flags, max_leads)}},
                },
                "responses": {
                    "200": {
                        "description": "planned",
                        "content": {
                            "application/json": {
                                "schema": _success("update_leads" in route.flags, plan=True)
                            }
                        },
                    },
                    **_problems(plan_codes, max_leads, route.source, route.target),
                },
            }
        }
    paths[LOOKUP_PATH] = {
        "post": {
            "operationId": "lookup_archived_leads",
            "summary": "Which archived leads have this phone number? Allowed at any hour.",
            "description": "The number keeps its digits only, as VICIdial stores phone_number "
            f"(matched exactly, through the index). At most {LOOKUP_LIMIT} leads, newest first; "
            "`more` is true when there were others. Only lead_id, list_id, status and "
            "modify_date leave the database. A key bound to a VICIdial user needs its "
            "lead_archive permission; with api_list_restrict the leads of other campaigns' "
            "lists are left out (not refused).",
            "security": [{"apiKey": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["phone_number"],
                            "properties": {
                                "phone_number": {"type": "string", "maxLength": MAX_PHONE_TEXT}
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "the archived leads with this number (maybe none)",
                    "content": {"application/json": {"schema": _lookup_success()}},
                },
                **_problems(_LOOKUP_CODES, max_leads, "vicidial_list", "vicidial_list_archive"),
            },
        }
    }
    for path, what in (
        ("/healthz", "process alive"),
        ("/readyz", "database ready"),
        ("/metrics", "Prometheus metrics"),
    ):
        paths[path] = {"get": {"responses": {"200": {"description": what}}}}
    paths["/readyz"]["get"]["responses"]["503"] = {
        "description": "not ready: `code` not_ready and a generic `reason` (the details are "
        "lead-archive db check's)"
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lead Archive", "version": __version__},
        "components": {
            "securitySchemes": {
                "apiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "Key=<key>",
                }
            }
        },
        "paths": paths,
    }
