"""How a bulk run reaches the procedures: the HTTP API, or a direct database connection.
Both raise the same catalogue :class:`~gateway.errors.Problem` codes."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from gateway.bulk.options import Options
from gateway.db import Database, LeadResult
from gateway.dburl import DatabaseURL
from gateway.errors import Problem, is_code


@dataclass(frozen=True)
class Moved:
    """What one call did, and its longest hold on the source table in ms: as the procedures
    measured it when they say, else the call's duration (an upper bound)."""

    leads: list[LeadResult]
    lock_ms: float | None


class Transport(Protocol):
    async def move(self, ids: Sequence[int], options: Options) -> Moved: ...

    async def close(self) -> None: ...


class HttpTransport:
    def __init__(self, url: str, key: str) -> None:
        self.client = httpx.AsyncClient(
            base_url=url.rstrip("/"),
            timeout=httpx.Timeout(300, connect=10),
            headers={"Authorization": f"Key={key}", "Content-Type": "application/json"},
        )

    async def move(self, ids: Sequence[int], options: Options) -> Moved:
        body: dict[str, Any] = {"insert_leads": options.insert}
        if options.direction == "archive":
            body["update_leads"] = options.update
        body.update(delete_leads=options.delete, lead_ids=list(ids))
        started = time.perf_counter()
        try:
            response = await self.client.post(f"/vicidial/leads/{options.direction}", json=body)
        except httpx.TransportError:
            raise Problem("database_unavailable") from None
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code == 200:
            elapsed_ms = (time.perf_counter() - started) * 1000
            leads = [
                LeadResult(
                    int(d["lead_id"]),
                    bool(d["inserted"]),
                    bool(d.get("updated")),
                    bool(d["deleted"]),
                    d["reason"],
                )
                for d in data["leads"]
            ]
            lock_ms = data.get("lock_ms")
            return Moved(leads, float(lock_ms) if lock_ms is not None else elapsed_ms)
        code = data.get("code")
        if not is_code(code):
            code = "internal_error"
        extra = {k: data[k] for k in ("lead_ids", "already_archived", "columns") if k in data}
        headers = (
            {"Retry-After": response.headers["retry-after"]}
            if ("retry-after" in response.headers)
            else {}
        )
        raise Problem(code, extra=extra, headers=headers)

    async def close(self) -> None:
        await self.client.aclose()


class DirectTransport:
    """Straight through the procedure, on the operator's own account; VICIdial's admin log is
    written unless ``vicidial_log`` is off (LEAD_ARCHIVE_VICIDIAL_LOG)."""

    def __init__(
        self,
        url: DatabaseURL,
        actor: str = "bulk",
        pool_size: int = 2,
        vicidial_log: bool = True,
    ) -> None:
        self.db = Database(url, pool_size=pool_size)
        self.actor = actor
        self.vicidial_log = vicidial_log

    async def move(self, ids: Sequence[int], options: Options) -> Moved:
        started = time.perf_counter()
        leads = await self.db.move(
            options.direction,
            ids,
            insert=options.insert,
            update=options.update,
            delete=options.delete,
            actor=self.actor,
            request_id=f"bulk-{int(time.time())}",
            vicidial_log=self.vicidial_log,
        )
        return Moved(leads, (time.perf_counter() - started) * 1000)

    async def close(self) -> None:
        await self.db.close()
