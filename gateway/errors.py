"""The error catalogue and the exception hierarchy, written once.

Every refusal the product can give has one entry in ``CATALOGUE``: its machine ``code``, the
HTTP status and the published ``message`` (kept word for word: existing clients parse it).
The stored procedures raise ``SQLSTATE 45000`` with ``MESSAGE_TEXT`` starting ``<code>:``
using the same code strings; ``gateway.db`` maps them back through this table.

Exceptions::

    LeadArchiveError            base of everything this package raises on purpose
    ├── ConfigError             a bad setting (environment, command line)
    ├── UnsupportedServer       a database server the procedures cannot run on
    └── Problem                 a refusal with a catalogue entry (HTTP answer, SQL error)

This module imports nothing from the project.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeGuard, get_args

# Every code the product answers with, for mypy to check each use.
Code = Literal[
    "invalid_api_key",
    "too_many_requests",
    "office_hours",
    "unsupported_media_type",
    "payload_too_large",
    "malformed_json",
    "invalid_insert_leads",
    "invalid_update_leads",
    "invalid_delete_leads",
    "missing_lead_ids",
    "invalid_lead_ids",
    "too_many_lead_ids",
    "duplicate_lead_ids",
    "unknown_field",
    "schema_mismatch",
    "leads_not_found",
    "invalid_phone_number",
    "invalid_selection",
    "user_exists",
    "not_found",
    "method_not_allowed",
    "not_ready",
    "database_unavailable",
    "internal_error",
    "caller_in_transaction",  # SQL only: see CATALOGUE
    "permission_denied",
    "lead_access_denied",
    "vicidial_user_not_found",
]


@dataclass(frozen=True)
class Entry:
    status: int
    message: str


CATALOGUE: dict[Code, Entry] = {
    "invalid_api_key": Entry(401, "unable to validate api user"),
    "too_many_requests": Entry(429, "too many failed attempts, retry later"),
    # the key's VICIdial user may not use the route's function (checked right after the key)
    "permission_denied": Entry(403, "api user does not have permission to use this function"),
    "office_hours": Entry(403, "api cannot be executed during office hours time condition"),
    "unsupported_media_type": Entry(415, "content type must be application/json"),
    "payload_too_large": Entry(413, "request body is too large"),
    "malformed_json": Entry(400, "request body must be a json object"),
    "invalid_insert_leads": Entry(400, "insert_leads must be a boolean value"),
    "invalid_update_leads": Entry(400, "update_leads must be a boolean value"),
    "invalid_delete_leads": Entry(400, "delete_leads must be a boolean value"),
    "missing_lead_ids": Entry(400, "lead_ids must contain atleast 1 value"),
    "invalid_lead_ids": Entry(400, "lead_ids must only contain integer values"),
    "too_many_lead_ids": Entry(400, "lead_ids cannot exceed {max_leads} values"),
    "duplicate_lead_ids": Entry(400, "lead_ids cannot contain duplicate values"),
    "unknown_field": Entry(400, "unknown field in request body"),
    "schema_mismatch": Entry(409, "{target} does not match {source}"),
    "leads_not_found": Entry(400, "specified lead_ids do not exist in {source}"),
    # the key's VICIdial user (api_list_restrict) may not touch these leads (after the above)
    "lead_access_denied": Entry(403, "api user is not allowed to modify these leads"),
    "invalid_phone_number": Entry(400, "phone_number must hold 1 to 18 digits"),
    "invalid_selection": Entry(400, "the selection cannot be read"),
    "user_exists": Entry(409, "this api user has an active key; revoke it first"),
    "vicidial_user_not_found": Entry(404, "vicidial_users has no such user"),
    "not_found": Entry(404, "not found"),
    "method_not_allowed": Entry(405, "method not allowed"),
    "not_ready": Entry(503, "database is not ready"),
    "database_unavailable": Entry(503, "database is unavailable, retry later"),
    "internal_error": Entry(500, "internal error"),
    # SQL only (a CALL inside the caller's open transaction, contract 5.1): the gateway's
    # connections never hold one, so gateway.db maps it to nothing and it would answer
    # internal_error.
    "caller_in_transaction": Entry(500, "internal error"),
}

# The order in which body checks answer (the 400 rows of the README's error table, from
# malformed_json to unknown_field): the first failing one names the response, every failing
# one is listed in ``errors``.
BODY_CHECK_ORDER: tuple[Code, ...] = (
    "malformed_json",
    "invalid_insert_leads",
    "invalid_update_leads",
    "invalid_delete_leads",
    "missing_lead_ids",
    "invalid_lead_ids",
    "too_many_lead_ids",
    "duplicate_lead_ids",
    "unknown_field",
)


class LeadArchiveError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(LeadArchiveError):
    """A setting is missing or invalid; the message is one line for the operator."""


class UnsupportedServer(LeadArchiveError):
    """The database server is too old (or of a kind) the procedures cannot run on."""


@dataclass
class Problem(LeadArchiveError):
    """A refusal with a catalogue entry.

    ``extra`` holds the entry's additional keys (``lead_ids``, ``lead_errors``, ``columns``,
    ``errors`` …); ``params`` fills the message's placeholders; ``headers`` are added to the
    HTTP answer.
    """

    code: Code
    extra: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise KeyError(f"unknown problem code {self.code!r}")
        super().__init__(self.code)

    @property
    def status(self) -> int:
        return CATALOGUE[self.code].status

    @property
    def message(self) -> str:
        values = _Params(source="vicidial_list", target="vicidial_list_archive")
        values.update(self.params)
        return CATALOGUE[self.code].message.format_map(values)

    def body(self, request_id: str) -> dict[str, Any]:
        """The JSON answer: the published keys first, then ``code`` and ``request_id``."""
        out: dict[str, Any] = {"message": self.message}
        if "lead_ids" in self.extra:
            out["lead_errors"] = len(self.extra["lead_ids"])
            out["lead_ids"] = self.extra["lead_ids"]
        out["http_code"] = self.status
        out["code"] = self.code
        out["request_id"] = request_id
        for key, value in self.extra.items():
            if key != "lead_ids":
                out[key] = value
        return out


class _Params(dict[str, Any]):
    """Message parameters; one nobody gave stays visible as its placeholder."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def is_code(value: object) -> TypeGuard[Code]:
    """Whether a string read from outside (a SQL message, a JSON answer) is a known code."""
    return value in _CODES


_CODES = frozenset(get_args(Code))
