"""The Starlette application. The data path reads top to bottom in :meth:`Gateway.move`:

request → auth → office hours → content type, size → body → one CALL → response

The client's address (for the throttle, the logs and the audit) is the peer's, unless the
peer is a trusted proxy (``LEAD_ARCHIVE_TRUSTED_PROXIES``): uvicorn runs with its own
forwarded-header handling off, and :class:`RequestContext` decides.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import logs
from gateway.contract import (
    LOOKUP_LIMIT,
    LOOKUP_PATH,
    MAX_BODY_BYTES,
    PLAN_SUFFIX,
    ROUTES,
    Direction,
)
from gateway.contract import Route as MoveRoute
from gateway.db import GATEWAY_PROCEDURES, Database, LeadResult
from gateway.errors import Code, Problem
from gateway.http import auth, metrics
from gateway.http.office_hours import Schedule
from gateway.http.openapi import openapi_document
from gateway.http.request import parse_body, parse_lookup_body, to_json
from gateway.settings import Settings

CALL_TIME_TTL = 300.0
SUCCESS_MESSAGE = "lead_ids batch was successfully processed"
LOOKUP_MESSAGE = "archived leads with this phone number"
PLAN_MESSAGE = "lead_ids batch was planned: nothing was written"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# metrics' `route` label
ROUTE_LABELS = {
    **{route.path: route.direction for route in ROUTES.values()},
    **{route.path + PLAN_SUFFIX: route.direction + "_plan" for route in ROUTES.values()},
    LOOKUP_PATH: "lookup",
}


@dataclass(frozen=True)
class RefusalLog:
    """A request refused by the gateway after its key was accepted, for VICIdial's api log."""

    direction: Direction
    key_sha256: bytes
    request_id: str
    code: str
    seconds: float


class Gateway:
    def __init__(
        self, settings: Settings, database: Database, now: Callable[[], datetime] | None = None
    ) -> None:
        self.settings = settings
        self.db = database
        self.now = now or (lambda: datetime.now(UTC))
        self.blocked = auth.BlockedClients()
        self._call_time: tuple[float, Schedule] | None = None

    async def move(self, request: Request, route: MoveRoute) -> Response:
        received = time.perf_counter()
        user, key_sha256 = await self.authenticate(request, route)
        request.state.user = user
        try:
            if route.office_hours:
                await self.refuse_in_office_hours()
            raw = await read_body(request)
            move = parse_body(raw, route.flags, self.settings.max_leads)
        except Exception as exc:
            self.remember_refusal(request, route.direction, key_sha256, exc, received)
            raise
        request.state.lead_count = len(move.lead_ids)
        started = time.perf_counter()
        results = await self.db.gateway_move(
            route.direction,
            move.lead_ids,
            insert=move.insert,
            update=move.update,
            delete=move.delete,
            key_sha256=key_sha256,
            client=request.state.client,
            request_id=request.state.request_id,
            vicidial_log=self.settings.vicidial_log,
        )
        metrics.CALL_SECONDS.labels(route.direction).observe(time.perf_counter() - started)
        return JSONResponse(success_body(route, results, request.state.request_id))

    async def plan(self, request: Request, route: MoveRoute) -> Response:
        """What the route would do with this body now: the same checks and the same answer
        shape, computed by the procedures' own rules, nothing written and no audit row.
        Allowed at any hour (it only reads)."""
        user, _ = await self.authenticate(request, route)
        request.state.user = user
        move = parse_body(await read_body(request), route.flags, self.settings.max_leads)
        request.state.lead_count = len(move.lead_ids)
        results = await self.db.plan(
            route.direction,
            move.lead_ids,
            insert=move.insert,
            update=move.update,
            delete=move.delete,
        )
        body = success_body(route, results, request.state.request_id, count=False)
        body["message"] = PLAN_MESSAGE
        body["dry_run"] = True
        return JSONResponse(body)

    async def lookup(self, request: Request) -> Response:
        """Which archived leads have this phone number? Same key, any hour, read only."""
        received = time.perf_counter()
        user, key_sha256 = await self.authenticate(request, ROUTES["archive"])
        request.state.user = user
        try:
            phone_number = parse_lookup_body(await read_body(request))
        except Exception as exc:
            self.remember_refusal(request, "archive", key_sha256, exc, received)
            raise
        found = await self.db.lookup(
            phone_number,
            LOOKUP_LIMIT + 1,
            key_sha256=key_sha256,
            request_id=request.state.request_id,
            vicidial_log=self.settings.vicidial_log,
        )
        leads = [
            {"lead_id": f.lead_id, "list_id": f.list_id, "status": f.status,
             "modify_date": f.modify_date}
            for f in found[:LOOKUP_LIMIT]
        ]  # fmt: skip
        request.state.lead_count = len(leads)
        return JSONResponse(
            {
                "message": LOOKUP_MESSAGE,
                "http_code": 200,
                "code": "ok",
                "request_id": request.state.request_id,
                "count": len(leads),
                "more": len(found) > LOOKUP_LIMIT,
                "leads": leads,
            }
        )

    def remember_refusal(
        self,
        request: Request,
        direction: Direction,
        key_sha256: bytes,
        exc: Exception,
        received: float,
    ) -> None:
        """A request refused here, after the key: VICIdial's api log gets its row once the
        answer has been sent (the database calls and the authentication log their own)."""
        if self.settings.vicidial_log:
            request.state.refusal_log = RefusalLog(
                direction,
                key_sha256,
                request.state.request_id,
                exc.code if isinstance(exc, Problem) else "internal_error",
                time.perf_counter() - received,
            )

    async def log_refusal(self, refusal: RefusalLog) -> None:
        """VICIdial's api log row of a refusal decided here. Run after the answer was sent;
        never fails the request: a problem is logged and dropped."""
        try:
            outcome = await self.db.log_refusal(
                refusal.direction,
                refusal.key_sha256,
                refusal.request_id,
                refusal.code,
                refusal.seconds,
            )
        except Exception as exc:  # a refusal was answered already; its log row is best effort
            logs.event(
                "VICIdial api log not written",
                logging.WARNING,
                request_id=refusal.request_id,
                error=type(exc).__name__,
            )
            return
        if outcome is not None and outcome not in ("written", "absent"):
            logs.event(
                "VICIdial api log not written",
                logging.WARNING,
                request_id=refusal.request_id,
                outcome=outcome,
            )

    async def authenticate(self, request: Request, route: MoveRoute) -> tuple[str, bytes]:
        """(API user, key hash), else 401, or 429 for an address that failed too often, or 403
        when the key's VICIdial user may not use the route's function.

        The failures are counted in the database, per client address, for every worker and
        host alike; a "blocked" answer is remembered here until it ends, so that refusing a
        blocked address costs no database round trip."""
        client: str = request.state.client
        wait = self.blocked.retry_after(client)
        if wait is not None:
            raise Problem("too_many_requests", headers={"Retry-After": str(wait)})
        key = auth.key_from_header(request.headers.get("authorization"))
        presented = auth.key_hash(key) if key else None
        try:
            found = await self.db.authenticate(
                presented,
                client,
                route.direction,
                request.state.request_id,
                self.settings.vicidial_log,
            )
        except Problem:
            if presented is None:  # a malformed key is refused whatever the database says
                raise Problem("invalid_api_key", headers={"WWW-Authenticate": "Key"}) from None
            raise
        if found.blocked_for is not None:
            self.blocked.block(client, found.blocked_for)
            raise Problem("too_many_requests", headers={"Retry-After": str(found.blocked_for)})
        if presented is None or found.name is None:
            raise Problem("invalid_api_key", headers={"WWW-Authenticate": "Key"})
        if found.refusal == "permission_denied":
            request.state.user = found.name
            raise Problem("permission_denied")
        return found.name, presented

    async def refuse_in_office_hours(self) -> None:
        schedule = await self.office_hours()
        wait = schedule.seconds_until_open(self.now(), self.settings.timezone)
        if wait is not None:
            raise Problem("office_hours", headers={"Retry-After": str(wait)})

    async def office_hours(self) -> Schedule:
        """LEAD_ARCHIVE_OFFICE_HOURS, or VICIdial's call time (read again every 5 minutes, so
        an edit in VICIdial applies without a restart). When the database cannot say, the
        request is refused: an unknown window is treated as closed."""
        call_time_id = self.settings.call_time_id
        if call_time_id is None:
            return self.settings.office_hours
        if self._call_time is None or time.monotonic() - self._call_time[0] > CALL_TIME_TTL:
            values = await self.db.call_time(call_time_id)
            if values is None:
                logs.event("call time not found", logging.ERROR, call_time_id=call_time_id)
                raise Problem("internal_error")
            self._call_time = (time.monotonic(), Schedule.from_call_time(values, call_time_id))
        return self._call_time[1]

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(self, request: Request) -> Response:
        """Ready when the gateway's own account can do its work. The reason says what kind of
        problem; which tables, columns or types is for ``lead-archive db check``."""
        procedures = [
            p
            for p in GATEWAY_PROCEDURES
            if p != "lead_archive_call_time" or self.settings.call_time_id is not None
        ]
        reason = await self.db.readiness(procedures)
        if reason is not None:
            request.state.code = "not_ready"
            problem = Problem("not_ready", extra={"reason": reason})
            return ProblemResponse(problem, request.state.request_id)
        return JSONResponse({"status": "ready"})

    async def metrics(self, request: Request) -> Response:
        return Response(metrics.generate(), media_type=metrics.CONTENT_TYPE)

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document(self.settings.max_leads))


async def read_body(request: Request) -> bytes:
    """Content type, then size: checked on the header and again while reading the stream, so
    a chunked or lying body is cut off at the limit."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise Problem("unsupported_media_type")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Problem("payload_too_large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Problem("payload_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


def success_body(
    route: MoveRoute, results: list[LeadResult], request_id: str, *, count: bool = True
) -> dict[str, Any]:
    leads = []
    for r in results:
        lead: dict[str, Any] = {"lead_id": r.lead_id, "inserted": r.inserted}
        if route.direction == "archive":
            lead["updated"] = r.updated
        lead.update(deleted=r.deleted, reason=r.reason)
        leads.append(lead)
    body: dict[str, Any] = {
        "message": SUCCESS_MESSAGE,
        "select_count": len(results),
        "insert_count": sum(r.inserted for r in results),
    }
    if route.direction == "archive":
        body["update_count"] = sum(r.updated for r in results)
    body.update(
        delete_count=sum(r.deleted for r in results),
        http_code=200,
        code="ok",
        request_id=request_id,
        kept_count=sum(r.reason is not None for r in results),
        leads=leads,
    )
    lock_ms = getattr(results, "lock_ms", None)
    if lock_ms is not None:
        body["lock_ms"] = lock_ms  # the longest hold of vicidial_list by one statement
    if count:
        for outcome in ("inserted", "updated", "deleted"):
            metrics.LEADS.labels(route.direction, outcome).inc(body.get(outcome[:-1] + "_count", 0))
        metrics.LEADS.labels(route.direction, "kept").inc(body["kept_count"])
    return body


async def problem_response(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        code: Code = "method_not_allowed" if exc.status_code == 405 else "not_found"
        problem = Problem(code, headers=dict(exc.headers or {}))  # 405 keeps its Allow
    elif isinstance(exc, Problem):
        problem = exc
    else:
        logs.event(
            "unhandled error",
            logging.ERROR,
            request_id=request.state.request_id,
            error=type(exc).__name__,
        )
        problem = Problem("internal_error")
    request.state.code = problem.code
    return ProblemResponse(problem, request.state.request_id)


class ProblemResponse(JSONResponse):
    """A catalogue answer. Rendered ASCII-only (a lone surrogate sent in a body is echoed as
    its ``\\u`` escape) and with numbers beyond a float's range echoed as they were sent."""

    def __init__(self, problem: Problem, request_id: str) -> None:
        super().__init__(
            problem.body(request_id), status_code=problem.status, headers=problem.headers
        )

    def render(self, content: Any) -> bytes:
        return to_json(content).encode("ascii")


async def guarded(request: Request, answer: Awaitable[Response]) -> Response:
    """Every failure becomes a catalogue answer; an unexpected one is logged by its type only
    (its text could quote data) and answered 500 without internals."""
    try:
        return await answer
    except Exception as exc:
        return await problem_response(request, exc)


class RequestContext:
    """Request id, the client's address, security headers, the access log line and the
    request counter; and the last resort for an error nothing else answered: a 500 from the
    catalogue with the same headers, logged and counted as sent."""

    def __init__(self, app: ASGIApp, trusted_proxies: auth.TrustedProxies = ()) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        incoming = dict(headers).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        client = auth.client_address(
            (scope.get("client") or (None,))[0],
            _header_values(headers, b"x-forwarded-for") if self.trusted_proxies else [],
            _header_values(headers, b"forwarded") if self.trusted_proxies else [],
            self.trusted_proxies,
        )
        state = scope.setdefault("state", {})
        state.update(request_id=request_id, code="ok", user=None, lead_count=None, client=client)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message.setdefault("headers", [])
                message["headers"] += [
                    (b"x-request-id", request_id.encode()),
                    (b"cache-control", b"no-store"),
                    (b"x-content-type-options", b"nosniff"),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # by type only: its text could quote data
            logs.event(
                "unhandled error", logging.ERROR, request_id=request_id, error=type(exc).__name__
            )
            state["code"] = "internal_error"
            if not response_started:
                response = ProblemResponse(Problem("internal_error"), request_id)
                await response(scope, receive, send_with_headers)
        finally:
            path = scope["path"]
            route = ROUTE_LABELS.get(path, "other")
            metrics.REQUESTS.labels(route, state["code"]).inc()
            logs.event(
                "request",
                request_id=request_id,
                method=scope["method"],
                path=path if route != "other" or len(path) < 100 else path[:100],
                status=status,
                code=state["code"],
                user=state["user"],
                leads=state["lead_count"],
                ms=round((time.perf_counter() - started) * 1000, 1),
                client=client,
            )


def _header_values(headers: list[tuple[bytes, bytes]], name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in headers if key == name]


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    now: Callable[[], datetime] | None = None,
) -> Starlette:
    assert settings.database_url is not None
    db = database or Database(
        settings.database_url,
        pool_size=settings.pool_size,
        acquire_timeout=settings.pool_timeout,
    )
    gateway = Gateway(settings, db, now)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await db.close()

    async def answer(request: Request, handled: Awaitable[Response]) -> Response:
        """The answer, then (a refusal after the key) VICIdial's api log row of it."""
        response = await guarded(request, handled)
        refusal = getattr(request.state, "refusal_log", None)
        if refusal is not None:
            response.background = BackgroundTask(gateway.log_refusal, refusal)
        return response

    def mover(route: MoveRoute) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await answer(request, gateway.move(request, route))

        return endpoint

    def planner(route: MoveRoute) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await guarded(request, gateway.plan(request, route))

        return endpoint

    async def lookup(request: Request) -> Response:
        return await answer(request, gateway.lookup(request))

    app = Starlette(
        routes=[
            *(Route(r.path, mover(r), methods=["POST"]) for r in ROUTES.values()),
            *(Route(r.path + PLAN_SUFFIX, planner(r), methods=["POST"]) for r in ROUTES.values()),
            Route(LOOKUP_PATH, lookup, methods=["POST"]),
            Route("/healthz", gateway.healthz, methods=["GET"]),
            Route("/readyz", gateway.readyz, methods=["GET"]),
            Route("/metrics", gateway.metrics, methods=["GET"]),
            Route("/openapi.json", gateway.openapi, methods=["GET"]),
        ],
        exception_handlers={
            Problem: problem_response,
            HTTPException: problem_response,
        },
        lifespan=lifespan,
    )
    # /vicidial/leads/archive/ is an unknown route like any other (404 from the catalogue),
    # not a redirect to a Location built from the client's Host header
    app.router.redirect_slashes = False
    app.add_middleware(RequestContext, trusted_proxies=settings.trusted_proxies)
    app.state.gateway = gateway
    return app


def app_from_env() -> Starlette:
    """The uvicorn factory (``gateway.http.app:app_from_env``), used by ``lead-archive serve``."""
    logs.setup()
    return create_app(Settings.from_env())
