"""The connection pool, the one CALL, and database errors → catalogue codes (one table).

This is the only module of the gateway that sends SQL; the SQL it sends is ``CALL`` of the
procedures in ``sql/procedures/`` and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import asyncmy
from asyncmy.errors import MySQLError

from gateway import logs
from gateway.dburl import DatabaseURL
from gateway.errors import Problem

Direction = Literal["archive", "dearchive"]

# asyncmy logs every server warning's text at WARNING level; such a text can quote a value
# (lead data), and the notes of the installer's DROP … IF EXISTS are noise. Keep errors only.
logging.getLogger("asyncmy").setLevel(logging.ERROR)

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
ERRNO_CODES: dict[int, str] = {
    **dict.fromkeys(UNAVAILABLE_ERRNOS, "database_unavailable"),
    **dict.fromkeys(RETRY_ERRNOS, "database_unavailable"),
}
SIGNAL_ERRNO = 1644  # SIGNAL SQLSTATE '45000' from the procedures: '<code>: <text>'
RETRIES = 3
RETRY_AFTER_SECONDS = "5"


@dataclass(frozen=True)
class LeadResult:
    lead_id: int
    inserted: bool
    updated: bool
    deleted: bool
    reason: str | None


async def connect(url: DatabaseURL) -> Any:
    """One connection, autocommit on (the installer and the command line use it)."""
    return await asyncmy.connect(autocommit=True, **url.connect_args())


async def execute_all(
    conn: Any, sql: str, args: Sequence[Any] | None = None
) -> list[list[tuple[Any, ...]]]:
    """Run one statement and read every result set it sends. An error raised after a first
    result set (the procedures send their details before a refusal) surfaces only while
    draining; it is raised with the sets read before it in ``exc.result_sets``."""
    sets: list[list[tuple[Any, ...]]] = []
    try:
        async with conn.cursor() as cur:
            await cur.execute(sql, tuple(args) if args is not None else None)
            while True:
                if cur.description:
                    sets.append(list(await cur.fetchall()))
                if not await cur.nextset():
                    break
    except BaseException as exc:
        exc.result_sets = sets  # type: ignore[attr-defined]
        raise
    return sets


async def call_procedure(
    conn: Any, procedure: str, args: Sequence[Any]
) -> list[list[tuple[Any, ...]]]:
    """``CALL procedure(args)``, every result set returned (see :func:`execute_all`)."""
    if not re.fullmatch(r"[a-z_]+", procedure):
        raise ValueError(f"not a procedure name: {procedure!r}")
    placeholders = ", ".join(["%s"] * len(args))
    return await execute_all(conn, f"CALL {procedure}({placeholders})", args)


def source_table(direction: Direction) -> str:
    return "vicidial_list" if direction == "archive" else "vicidial_list_archive"


def target_table(direction: Direction) -> str:
    return "vicidial_list_archive" if direction == "archive" else "vicidial_list"


def _not_found(text: str, direction: Direction, details: Details) -> dict[str, Any]:
    extra: dict[str, Any] = {"lead_ids": [int(row[0]) for row in details]}
    if direction == "archive":
        extra["already_archived"] = [int(row[0]) for row in details if row[1]]
    return extra


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
}


def to_problem(exc: BaseException, direction: Direction, details: Details) -> Problem:
    """The one mapping from a database error to a catalogue entry."""
    errno = exc.args[0] if isinstance(exc, MySQLError) and exc.args else None
    code = "internal_error"
    extra: dict[str, Any] = {}
    if errno == SIGNAL_ERRNO:
        text = str(exc.args[1])
        signalled = text.split(":", 1)[0]
        if signalled in SIGNAL_EXTRAS:
            code = signalled
            extra = SIGNAL_EXTRAS[code](text, direction, details)
    elif isinstance(exc, OSError | EOFError | asyncio.TimeoutError) or errno in ERRNO_CODES:
        code = "database_unavailable"
    else:
        # by type and number only: a server message can quote data
        logs.event("unmapped database error", logging.ERROR, error=type(exc).__name__, errno=errno)
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if code == "database_unavailable" else {}
    params = {"source": source_table(direction), "target": target_table(direction)}
    return Problem(code, extra=extra, params=params, headers=headers)


def is_broken(exc: BaseException) -> bool:
    errno = exc.args[0] if isinstance(exc, MySQLError) and exc.args else None
    return isinstance(exc, OSError | EOFError | asyncio.TimeoutError) or errno in UNAVAILABLE_ERRNOS


class Database:
    """The gateway's pool. ``autocommit=True``: a connection never goes back mid-transaction."""

    def __init__(self, url: DatabaseURL, *, pool_size: int = 10) -> None:
        self.url = url
        self.pool_size = pool_size
        self._pool: Any = None

    async def open(self) -> None:
        self._pool = await asyncmy.create_pool(
            minsize=0,
            maxsize=self.pool_size,
            pool_recycle=600,
            autocommit=True,
            connect_timeout=5,
            **self.url.connect_args(),
        )

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            await self._pool.wait_closed()
            self._pool = None

    async def call(self, procedure: str, args: Sequence[Any]) -> list[list[tuple[Any, ...]]]:
        if self._pool is None:
            await self.open()
        async with self._pool.acquire() as conn:
            try:
                return await call_procedure(conn, procedure, args)
            except BaseException as exc:
                if is_broken(exc) or not isinstance(exc, MySQLError):
                    conn.close()  # the pool drops it and opens a fresh one when needed
                raise

    async def move(
        self,
        direction: Direction,
        lead_ids: Sequence[int],
        *,
        insert: bool,
        update: bool,
        delete: bool,
        actor: str,
        request_id: str,
    ) -> list[LeadResult]:
        """The one CALL of a request. Deadlocks are retried: the call left nothing behind."""
        args = [direction, actor, request_id, json.dumps(list(lead_ids)), insert, update, delete]
        for attempt in range(RETRIES + 1):
            try:
                sets = await self.call("lead_archive_move", args)
                break
            except (TimeoutError, MySQLError, OSError, EOFError) as exc:
                errno = exc.args[0] if isinstance(exc, MySQLError) and exc.args else None
                if errno in RETRY_ERRNOS and attempt < RETRIES:
                    await asyncio.sleep(0.05 * (attempt + 1))
                    continue
                details = getattr(exc, "result_sets", [])
                raise to_problem(exc, direction, details[-1] if details else []) from exc
        rows = sets[-1] if sets else []
        return [
            LeadResult(int(r[0]), bool(r[1]), bool(r[2]), bool(r[3]), r[4] and str(r[4]))
            for r in rows
        ]

    async def authenticate(self, key_sha256: bytes) -> tuple[str, bytes] | None:
        """The active API user holding this key hash, with the stored hash."""
        try:
            sets = await self.call("lead_archive_authenticate", [key_sha256])
        except (TimeoutError, MySQLError, OSError, EOFError) as exc:
            raise to_problem(exc, "archive", []) from exc
        rows = sets[-1] if sets else []
        if not rows:
            return None
        return str(rows[0][0]), bytes(rows[0][1])

    async def call_time(self, call_time_id: str) -> list[int] | None:
        """The HHMM values of a ``vicidial_call_times`` row (default pair, Monday…Sunday)."""
        try:
            sets = await self.call("lead_archive_call_time", [call_time_id])
        except (TimeoutError, MySQLError, OSError, EOFError) as exc:
            raise to_problem(exc, "archive", []) from exc
        rows = sets[-1] if sets else []
        return [int(v or 0) for v in rows[0]] if rows else None

    async def check(self) -> list[str]:
        """The readiness report, through ``CALL lead_archive_check()`` (DEFINER: it works for
        the gateway's EXECUTE-only account). One line per problem."""
        try:
            sets = await self.call("lead_archive_check", [])
        except MySQLError as exc:
            if exc.args and exc.args[0] == 1305:  # procedure does not exist
                return ["procedures are not installed (lead-archive db install)"]
            raise
        return [
            f"{direction}: {'column ' + column + ': ' if column else ''}{problem}"
            for direction, column, problem in (sets[-1] if sets else [])
        ]
