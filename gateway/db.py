"""The connection pool, the one CALL, and database errors → catalogue codes (one table).

This is the only module of the gateway that sends SQL; the SQL it sends is ``CALL`` of the
procedures in ``sql/procedures/``, and for /readyz one read of ``information_schema`` (which
procedures the account may run).
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

# What the gateway's database account calls, and so what it must be allowed to EXECUTE
# (installer.grant_statements; /readyz checks it). The move goes through
# lead_archive_gateway_move, which derives the audit's actor from the key itself: the account
# is not allowed to call lead_archive_move with an actor of its choosing.
GATEWAY_PROCEDURES = (
    "lead_archive_gateway_move",
    "lead_archive_authenticate",
    "lead_archive_check",
    "lead_archive_call_time",
)

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
RETRIES = 3
RETRY_AFTER_SECONDS = "5"
READY_TIMEOUT = 3.0  # /readyz answers within this, on a connection of its own


class PoolTimeout(TimeoutError):
    """No pooled connection became free in time (answered 503 database_unavailable)."""


@dataclass(frozen=True)
class Authenticated:
    """What ``lead_archive_authenticate`` answered: the API user and the stored hash, or the
    seconds the client's address is still blocked for, or neither (an unknown key)."""

    name: str | None
    key_sha256: bytes | None
    blocked_for: int | None


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
    "invalid_api_key": _nothing,  # lead_archive_gateway_move: the key was revoked meanwhile
}
HEADERS: dict[str, dict[str, str]] = {
    "database_unavailable": {"Retry-After": RETRY_AFTER_SECONDS},
    "invalid_api_key": {"WWW-Authenticate": "Key"},
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
        if errno in DENIED_ERRNOS:
            logs.event("the database refused the gateway's account", logging.ERROR, errno=errno)
    else:
        # by type and number only: a server message can quote data
        logs.event("unmapped database error", logging.ERROR, error=type(exc).__name__, errno=errno)
    headers = dict(HEADERS.get(code, {}))
    params = {"source": source_table(direction), "target": target_table(direction)}
    return Problem(code, extra=extra, params=params, headers=headers)


def is_broken(exc: BaseException) -> bool:
    errno = exc.args[0] if isinstance(exc, MySQLError) and exc.args else None
    return isinstance(exc, OSError | EOFError | asyncio.TimeoutError) or errno in UNAVAILABLE_ERRNOS


class Database:
    """The gateway's pool. ``autocommit=True``: a connection never goes back mid-transaction.

    A request waits at most ``acquire_timeout`` seconds for a connection (then 503
    ``database_unavailable``): a pool busy with calls that wait on a lock does not make every
    other request wait with them."""

    def __init__(
        self, url: DatabaseURL, *, pool_size: int = 10, acquire_timeout: float = 5.0
    ) -> None:
        self.url = url
        self.pool_size = pool_size
        self.acquire_timeout = acquire_timeout
        self._pool: Any = None
        self._readiness: asyncio.Future[str | None] | None = None

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

    async def _acquire(self) -> tuple[Any, Any]:
        """(pool, a connection of it) within ``acquire_timeout``, else :class:`PoolTimeout`.
        A checkout that completes after the wait was given up goes back to the pool."""
        if self._pool is None:
            await self.open()
        pool = self._pool

        async def checkout() -> Any:
            return await pool.acquire()

        task = asyncio.ensure_future(checkout())
        try:
            done, _ = await asyncio.wait({task}, timeout=self.acquire_timeout)
        except BaseException:
            _give_back_later(pool, task)
            raise
        if not done:
            _give_back_later(pool, task)
            logs.event(
                "no database connection free in time",
                logging.WARNING,
                pool_size=self.pool_size,
                waited_s=self.acquire_timeout,
            )
            raise PoolTimeout("no database connection free in time")
        return pool, task.result()

    async def call(self, procedure: str, args: Sequence[Any]) -> list[list[tuple[Any, ...]]]:
        pool, conn = await self._acquire()
        try:
            return await call_procedure(conn, procedure, args)
        except BaseException as exc:
            if is_broken(exc) or not isinstance(exc, MySQLError):
                conn.close()  # the pool drops it and opens a fresh one when needed
            raise
        finally:
            pool.release(conn)

    async def _call_retrying(
        self, procedure: str, args: Sequence[Any], direction: Direction
    ) -> list[list[tuple[Any, ...]]]:
        """One CALL; deadlocks and lock wait timeouts are retried (the call left nothing
        behind); every other database error becomes its catalogue entry."""
        for attempt in range(RETRIES + 1):
            try:
                return await self.call(procedure, args)
            except (TimeoutError, MySQLError, OSError, EOFError) as exc:
                errno = exc.args[0] if isinstance(exc, MySQLError) and exc.args else None
                if errno in RETRY_ERRNOS and attempt < RETRIES:
                    await asyncio.sleep(0.05 * (attempt + 1))
                    continue
                details = getattr(exc, "result_sets", [])
                raise to_problem(exc, direction, details[-1] if details else []) from exc
        raise AssertionError("unreachable")

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
        """``lead_archive_move`` with an actor of the caller's choosing: for an operator's own
        account (the bulk client's ``--direct``). The gateway's account may not call it: see
        :meth:`gateway_move`."""
        args = [direction, actor, request_id, json.dumps(list(lead_ids)), insert, update, delete]
        return _lead_results(await self._call_retrying("lead_archive_move", args, direction))

    async def gateway_move(
        self,
        direction: Direction,
        lead_ids: Sequence[int],
        *,
        insert: bool,
        update: bool,
        delete: bool,
        key_sha256: bytes,
        client: str,
        request_id: str,
    ) -> list[LeadResult]:
        """The one CALL of a request, through ``lead_archive_gateway_move``: the database
        finds the API user from the key's hash and records it, the gateway's account and the
        client's address in the audit."""
        args = [
            direction,
            key_sha256,
            request_id,
            client,
            json.dumps(list(lead_ids)),
            insert,
            update,
            delete,
        ]
        return _lead_results(
            await self._call_retrying("lead_archive_gateway_move", args, direction)
        )

    async def authenticate(self, key_sha256: bytes | None, client: str) -> Authenticated:
        """The active API user holding this key hash (None for a malformed key), and the
        throttle of failed attempts per client address (lead_archive_authenticate)."""
        sets = await self._call_retrying(
            "lead_archive_authenticate", [key_sha256, client], "archive"
        )
        rows = sets[-1] if sets else []
        if not rows:
            return Authenticated(None, None, None)
        name, stored, blocked_for = rows[0]
        return Authenticated(
            None if name is None else str(name),
            None if stored is None else bytes(stored),
            None if blocked_for is None else max(1, int(blocked_for)),
        )

    async def call_time(self, call_time_id: str) -> list[int] | None:
        """The HHMM values of a ``vicidial_call_times`` row (default pair, Monday…Sunday)."""
        try:
            sets = await self.call("lead_archive_call_time", [call_time_id])
        except (TimeoutError, MySQLError, OSError, EOFError) as exc:
            raise to_problem(exc, "archive", []) from exc
        rows = sets[-1] if sets else []
        return [int(v or 0) for v in rows[0]] if rows else None

    async def readiness(self, procedures: Sequence[str] = GATEWAY_PROCEDURES) -> str | None:
        """None when ready, else a reason that names no table, column or type (the details
        are for ``lead-archive db check``, not for an unauthenticated route).

        On a connection of its own, so that a busy pool does not hold it, and within
        ``READY_TIMEOUT`` seconds. Ready means: the server answers, ``lead_archive_check``
        finds nothing, and the gateway's own account may run every procedure in
        ``procedures``. Concurrent probes share one check."""
        if self._readiness is None or self._readiness.done():
            self._readiness = asyncio.ensure_future(self._check_readiness(procedures))
        return await asyncio.shield(self._readiness)

    async def _check_readiness(self, procedures: Sequence[str]) -> str | None:
        try:
            return await asyncio.wait_for(
                self._readiness_on_own_connection(procedures), READY_TIMEOUT
            )
        except (TimeoutError, MySQLError, OSError, EOFError) as exc:
            errno = exc.args[0] if isinstance(exc, MySQLError) and exc.args else None
            if errno in DENIED_ERRNOS:
                return "the database refuses the gateway's account"
            if isinstance(exc, MySQLError) and errno not in UNAVAILABLE_ERRNOS:
                logs.event("readiness check failed", logging.ERROR, errno=errno)
                return "the readiness check failed"
            return "the database does not answer"

    async def _readiness_on_own_connection(self, procedures: Sequence[str]) -> str | None:
        conn = await asyncmy.connect(
            autocommit=True, connect_timeout=READY_TIMEOUT, **self.url.connect_args()
        )
        try:
            allowed = {
                str(row[0])
                for row in (await execute_all(conn, _VISIBLE_ROUTINES, [tuple(procedures)]))[-1]
            }
            missing = [p for p in procedures if p not in allowed]
            if missing:
                logs.event("not ready: procedures the account may not run", missing=missing)
                return (
                    "the gateway's database account may not run every procedure it needs"
                    " (lead-archive db install, then db grant)"
                )
            sets = await call_procedure(conn, "lead_archive_check", [])
            if sets and sets[-1]:
                return "the tables or procedures do not pass lead-archive db check"
            return None
        finally:
            conn.close()


# The procedures of this database the connected account may use: information_schema lists a
# routine only to an account that holds a privilege on it (EXECUTE, for the gateway's).
_VISIBLE_ROUTINES = (
    "SELECT ROUTINE_NAME FROM information_schema.ROUTINES"
    " WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE = 'PROCEDURE'"
    " AND ROUTINE_NAME IN %s"
)


def _give_back_later(pool: Any, task: asyncio.Future[Any]) -> None:
    """A checkout given up on: cancel it, and should it complete all the same, release the
    connection it took."""

    def release(done: asyncio.Future[Any]) -> None:
        if not done.cancelled() and done.exception() is None:
            pool.release(done.result())

    task.cancel()
    task.add_done_callback(release)


def _lead_results(sets: list[list[tuple[Any, ...]]]) -> list[LeadResult]:
    rows = sets[-1] if sets else []
    return [
        LeadResult(int(r[0]), bool(r[1]), bool(r[2]), bool(r[3]), r[4] and str(r[4])) for r in rows
    ]
