"""Database errors → catalogue codes: the one table, as PostgREST maps its errors.

A procedure refuses with ``SIGNAL SQLSTATE '45000'`` and a ``MESSAGE_TEXT`` that starts with a
catalogue code; :data:`SIGNAL_EXTRAS` reads the extra keys of that answer from the message or
from the result set sent before the error. Any other error maps by its number alone (a
server's message can quote data), else to ``internal_error``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from asyncmy.errors import MySQLError

from gateway import logs
from gateway.contract import MAX_LEADS, Direction, source_table, target_table
from gateway.errors import Code, Problem, is_code

RETRY_AFTER_SECONDS = "5"

# errno → catalogue code, for errors that are not the procedures' own SIGNALs.
# The server is away, or cannot serve a table until a DBA (or its auto-recovery) repairs it:
# the caller may retry later.
_CONNECTION_GONE = (
    0,
    1040,
    1053,
    1152,
    1158,
    1159,
    1160,
    1161,
    1927,
    2002,
    2003,
    2006,
    2013,
    2014,
    2055,
)  # 0: asyncmy's InterfaceError on a closed connection
_CRASHED_TABLE = (126, 127, 134, 144, 145, 1194, 1195)  # MyISAM after a server crash
UNAVAILABLE_ERRNOS = frozenset(_CONNECTION_GONE + _CRASHED_TABLE)
RETRY_ERRNOS = frozenset({1213, 1205})  # deadlock, lock wait timeout: the call left nothing
# The server refuses the gateway's account (wrong password, a privilege revoked, a procedure
# dropped by a re-install): nothing the client did, and /readyz says not ready until a DBA
# fixes it (lead-archive db grant).
DENIED_ERRNOS = frozenset({1044, 1045, 1142, 1143, 1370})
ERRNO_CODES: dict[int, str] = {
    **dict.fromkeys(UNAVAILABLE_ERRNOS, "database_unavailable"),
    **dict.fromkeys(RETRY_ERRNOS, "database_unavailable"),
    **dict.fromkeys(DENIED_ERRNOS, "database_unavailable"),
}
SIGNAL_ERRNO = 1644  # SIGNAL SQLSTATE '45000' from the procedures: '<code>: <text>'


def _not_found(text: str, direction: Direction, details: Details) -> dict[str, Any]:
    extra: dict[str, Any] = {"lead_ids": [int(row[0]) for row in details]}
    if direction == "archive":
        extra["already_archived"] = [int(row[0]) for row in details if row[1]]
    return extra


def _denied(text: str, direction: Direction, details: Details) -> dict[str, Any]:
    return {"lead_ids": [int(row[0]) for row in details]}


def _columns(text: str, direction: Direction, details: Details) -> dict[str, Any]:
    return {"columns": [{"column": str(row[0]), "problem": str(row[1])} for row in details]}


def _repeated(text: str, direction: Direction, details: Details) -> dict[str, Any]:
    return {"lead_ids": [int(n) for n in re.findall(r"\d+", text.split(":", 2)[-1])]}


def _nothing(text: str, direction: Direction, details: Details) -> dict[str, Any]:
    return {}


Details = Sequence[Sequence[Any]]
# The one table: the code a procedure raised (MESSAGE_TEXT '<code>: …') → the extra keys of
# its answer, read from the message or from the result set sent before the error.
SIGNAL_EXTRAS: dict[str, Callable[[str, Direction, Details], dict[str, Any]]] = {
    "leads_not_found": _not_found,
    "schema_mismatch": _columns,
    "duplicate_lead_ids": _repeated,
    "missing_lead_ids": _nothing,
    "invalid_lead_ids": _nothing,
    "too_many_lead_ids": _nothing,
    "database_unavailable": _nothing,
    "invalid_phone_number": _nothing,
    "invalid_api_key": _nothing,  # lead_archive_gateway_move: the key was revoked meanwhile
    "permission_denied": _nothing,  # … or its VICIdial user lost the permission meanwhile
    "lead_access_denied": _denied,
}
HEADERS: dict[str, dict[str, str]] = {
    "database_unavailable": {"Retry-After": RETRY_AFTER_SECONDS},
    "invalid_api_key": {"WWW-Authenticate": "Key"},
}


def to_problem(exc: BaseException, direction: Direction, details: Details) -> Problem:
    """The one mapping from a database error to a catalogue entry."""
    errno = exc.args[0] if isinstance(exc, MySQLError) and exc.args else None
    code: Code = "internal_error"
    extra: dict[str, Any] = {}
    if errno == SIGNAL_ERRNO:
        text = str(exc.args[1])
        signalled = text.split(":", 1)[0]
        if is_code(signalled) and signalled in SIGNAL_EXTRAS:
            code = signalled
            extra = SIGNAL_EXTRAS[code](text, direction, details)
    elif isinstance(exc, OSError | EOFError | asyncio.TimeoutError) or errno in ERRNO_CODES:
        code = "database_unavailable"
        if errno in DENIED_ERRNOS:
            logs.event("the database refused the gateway's account", logging.ERROR, errno=errno)
    else:
        # by type and number only: a server message can quote data
        logs.event("unmapped database error", logging.ERROR, error=type(exc).__name__, errno=errno)
    headers = dict(HEADERS.get(code, {}))
    params = {
        "source": source_table(direction),
        "target": target_table(direction),
        "max_leads": MAX_LEADS,
    }
    return Problem(code, extra=extra, params=params, headers=headers)


def is_broken(exc: BaseException) -> bool:
    errno = exc.args[0] if isinstance(exc, MySQLError) and exc.args else None
    return isinstance(exc, OSError | EOFError | asyncio.TimeoutError) or errno in UNAVAILABLE_ERRNOS
