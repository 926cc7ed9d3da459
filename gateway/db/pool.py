"""The connection pool and every CALL the gateway makes; errors go through :mod:`.mapping`.

This is the only module of the gateway that sends SQL; the SQL it sends is ``CALL`` of the
procedures in ``sql/procedures/``, and for /readyz one read of ``information_schema`` (which
procedures the account may run).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncmy
from asyncmy.errors import MySQLError

from gateway import logs
from gateway.contract import ROUTES, Direction
from gateway.db.mapping import (
    DENIED_ERRNOS,
    RETRY_ERRNOS,
    UNAVAILABLE_ERRNOS,
    is_broken,
    to_problem,
)
from gateway.dburl import DatabaseURL

# What the gateway's database account calls, and so what it must be allowed to EXECUTE
# (installer.grant_statements; /readyz checks it). The move goes through
# lead_archive_gateway_move, which derives the audit's actor from the key itself: the account
# is not allowed to call lead_archive_move with an actor of its choosing.
# lead_archive_gateway_refusal writes VICIdial's api log row of a request the gateway refused
# itself (office hours, body); it finds the user from the key's hash too. The phone look-up
# goes through lead_archive_gateway_lookup, which checks the key's VICIdial user and its list
# restriction: the account is not allowed to call the unrestricted lead_archive_lookup.
GATEWAY_PROCEDURES = (
    "lead_archive_gateway_move",
    "lead_archive_authenticate",
    "lead_archive_check",
    "lead_archive_call_time",
    "lead_archive_gateway_lookup",
    "lead_archive_gateway_refusal",
    "archive_leads_plan",  # read only: nothing written, no actor to forge
    "dearchive_leads_plan",
)

# asyncmy logs every server warning's text at WARNING level; such a text can quote a value
# (lead data), and the notes of the installer's DROP … IF EXISTS are noise. Keep errors only.
logging.getLogger("asyncmy").setLevel(logging.ERROR)

RETRIES = 3
READY_TIMEOUT = 3.0  # /readyz answers within this, on a connection of its own


class PoolTimeout(TimeoutError):
    """No pooled connection became free in time (answered 503 database_unavailable)."""


@dataclass(frozen=True)
class Authenticated:
    """What ``lead_archive_authenticate`` answered: the API user and the stored hash, or the
    seconds the client's address is still blocked for, or neither (an unknown key, or the key
    of a VICIdial user who is missing or inactive). ``refusal`` is ``permission_denied`` when
    the key's VICIdial user may not use the route's function."""

    name: str | None
    key_sha256: bytes | None
    blocked_for: int | None
    refusal: str | None = None


@dataclass(frozen=True)
class ArchivedLead:
    """One answer of the phone look-up: what a loader or an inbound flow needs, no more."""

    lead_id: int
    list_id: int
    status: str | None
    modify_date: str  # ISO 8601, the server's time


@dataclass(frozen=True)
class LeadResult:
    lead_id: int
    inserted: bool
    updated: bool
    deleted: bool
    reason: str | None


class LeadResults(list[LeadResult]):
    """One row per requested id, in order, and ``lock_ms``: the longest a single statement of
    the call held ``vicidial_list`` in ms, as the procedure measured it (None when it did not
    say, as a plan does not)."""

    lock_ms: float | None = None


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
        vicidial_log: bool = True,
    ) -> LeadResults:
        """The move with an actor of the caller's choosing, through
        ``lead_archive_direct_move``: for an operator's own account (the bulk client's
        ``--direct``), with VICIdial's admin log unless ``vicidial_log`` is off. The gateway's
        account may not call it: see :meth:`gateway_move`."""
        args = [
            direction,
            actor,
            request_id,
            json.dumps(list(lead_ids)),
            insert,
            update,
            delete,
            vicidial_log,
        ]
        return _lead_results(await self._call_retrying("lead_archive_direct_move", args, direction))

    async def plan(
        self,
        direction: Direction,
        lead_ids: Sequence[int],
        *,
        insert: bool,
        update: bool,
        delete: bool,
    ) -> LeadResults:
        """What ``archive_leads`` / ``dearchive_leads`` would do now, from their ``_plan``
        siblings: the same rules and refusals, nothing written, no audit row."""
        ids = json.dumps(list(lead_ids))
        if direction == "archive":
            procedure, args = "archive_leads_plan", [ids, insert, update, delete]
        else:
            procedure, args = "dearchive_leads_plan", [ids, insert, delete]
        return _lead_results(await self._call_retrying(procedure, args, direction))

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
        vicidial_log: bool = True,
    ) -> LeadResults:
        """The one CALL of a request, through ``lead_archive_gateway_move``: the database
        finds the API user from the key's hash and records it, the gateway's account and the
        client's address in the audit; it checks the key's VICIdial user again (and its list
        restriction) and writes VICIdial's logs unless ``vicidial_log`` is off."""
        args = [
            direction,
            key_sha256,
            request_id,
            client,
            json.dumps(list(lead_ids)),
            insert,
            update,
            delete,
            vicidial_log,
        ]
        return _lead_results(
            await self._call_retrying("lead_archive_gateway_move", args, direction)
        )

    async def authenticate(
        self,
        key_sha256: bytes | None,
        client: str,
        direction: Direction = "archive",
        request_id: str | None = None,
        vicidial_log: bool = True,
    ) -> Authenticated:
        """The active API user holding this key hash (None for a malformed key), and the
        throttle of failed attempts per client address (lead_archive_authenticate); for a key
        bound to a VICIdial user, that user's permission for the route's function (a refusal
        is logged in VICIdial's api log there, unless ``vicidial_log`` is off)."""
        function = ROUTES[direction].vicidial_function
        sets = await self._call_retrying(
            "lead_archive_authenticate",
            [key_sha256, client, function, request_id, vicidial_log],
            direction,
        )
        rows = sets[-1] if sets else []
        if not rows:
            return Authenticated(None, None, None)
        name, stored, blocked_for, refusal = rows[0][:4]
        return Authenticated(
            None if name is None else str(name),
            None if stored is None else bytes(stored),
            None if blocked_for is None else max(1, int(blocked_for)),
            None if refusal is None else str(refusal),
        )

    async def lookup(
        self,
        phone_number: str,
        limit: int,
        *,
        key_sha256: bytes,
        request_id: str,
        vicidial_log: bool = True,
    ) -> list[ArchivedLead]:
        """Archived leads with this phone number, newest first, through
        ``lead_archive_gateway_lookup``: the database finds the API user from the key's hash,
        checks its VICIdial user again, leaves out the leads of lists that user may not see
        (``api_list_restrict``) and writes VICIdial's api log unless ``vicidial_log`` is
        off."""
        sets = await self._call_retrying(
            "lead_archive_gateway_lookup",
            [key_sha256, request_id, phone_number, limit, vicidial_log],
            "archive",
        )
        return [
            ArchivedLead(
                int(r[0]),
                int(r[1]),
                None if r[2] is None else str(r[2]),
                r[3].isoformat(sep=" ") if hasattr(r[3], "isoformat") else str(r[3]),
            )
            for r in (sets[-1] if sets else [])
        ]

    async def log_refusal(
        self, direction: Direction, key_sha256: bytes, request_id: str, code: str, seconds: float
    ) -> str | None:
        """VICIdial's api log row of a request the gateway refused itself after the key
        (lead_archive_gateway_refusal): what became of it (written, absent, error …), or
        None when no row was due."""
        sets = await self.call(
            "lead_archive_gateway_refusal",
            [direction, key_sha256, request_id, code, f"{seconds:.6f}"],
        )
        rows = sets[-1] if sets else []
        return None if not rows or rows[0][0] is None else str(rows[0][0])

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


def _lead_results(sets: list[list[tuple[Any, ...]]]) -> LeadResults:
    """The leads' result set; after it, lead_archive_move_measured's one-row ``lock_ms``."""
    lock_ms = None
    if len(sets) >= 2 and len(sets[-1]) == 1 and len(sets[-1][0]) == 1:
        value = sets.pop()[0][0]
        lock_ms = None if value is None else float(value)
    rows = sets[-1] if sets else []
    results = LeadResults(
        LeadResult(int(r[0]), bool(r[1]), bool(r[2]), bool(r[3]), r[4] and str(r[4])) for r in rows
    )
    results.lock_ms = lock_ms
    return results
