"""A synchronous client over httpx.ASGITransport, bound to one event loop per test."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from gateway.db import Database
from gateway.errors import CATALOGUE
from gateway.http import auth
from gateway.http.app import create_app
from gateway.http.office_hours import Schedule
from gateway.settings import Settings
from tests.support import secrets
from tests.support.dbtools import SyncDB

CONTRACT_BODY = {"insert_leads": True, "update_leads": True, "delete_leads": True}


class Api:
    def __init__(
        self,
        db: SyncDB,
        *,
        office_hours: str = "none",
        max_leads: int = 500,
        now: Callable[[], datetime] | None = None,
        trusted_proxies: str = "",
        pool_size: int = 4,
        pool_timeout: float = 5.0,
        add_key: bool = True,
        vicidial_log: bool = True,
    ) -> None:
        from zoneinfo import ZoneInfo

        self.db = db
        # only what a test asks for beyond the defaults, so that the harness stays usable
        # with an older gateway (to see a regression test fail there)
        extra: dict[str, Any] = {}
        if trusted_proxies:
            extra["trusted_proxies"] = Settings.from_env(
                {"LEAD_ARCHIVE_TRUSTED_PROXIES": trusted_proxies}, require_database=False
            ).trusted_proxies
        if pool_timeout != 5.0:
            extra["pool_timeout"] = pool_timeout
        if not vicidial_log:
            extra["vicidial_log"] = False
        self.settings = Settings(
            database_url=db.url,
            office_hours=Schedule.parse(office_hours),
            timezone=ZoneInfo("UTC"),
            max_leads=max_leads,
            pool_size=pool_size,
            **extra,
        )
        self.loop = asyncio.new_event_loop()
        self.database = Database(
            db.url,
            pool_size=pool_size,
            **({"acquire_timeout": pool_timeout} if "pool_timeout" in extra else {}),
        )
        self.app = create_app(self.settings, database=self.database, now=now)
        self.client = self.client_from("127.0.0.1")
        self.key = self.add_key("crm") if add_key else ""

    def client_from(self, peer: str) -> httpx.AsyncClient:
        """A client whose TCP peer address the gateway sees as ``peer``."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=(peer, 40000)),
            base_url="http://gateway",
        )

    def add_key(self, name: str, vicidial_user: str | None = None) -> str:
        key = secrets.register(auth.new_key())
        if vicidial_user is None:
            self.db.call("lead_archive_key_create", name, auth.key_hash(key))
        else:
            self.db.call("lead_archive_key_create_bound", name, auth.key_hash(key), vicidial_user)
        return key

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.run_until_complete(self.database.close())
        self.loop.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.request(method, path, **kwargs))

    def post(
        self,
        body: Any = None,
        *,
        path: str = "/vicidial/leads/archive",
        key: str | None = "default",
        headers: dict[str, str] | None = None,
        content: Any = None,
        peer: str | None = None,
    ) -> httpx.Response:
        sent = {"content-type": "application/json"}
        if key == "default":
            key = self.key
        if key is not None:
            sent["authorization"] = f"Key={key}"
        sent.update(headers or {})
        if content is None:
            content = body if isinstance(body, bytes) else json.dumps(body).encode()
        if peer is not None:
            return self.loop.run_until_complete(self._post_from(peer, path, sent, content))
        return self.request("POST", path, headers=sent, content=content)

    async def _post_from(
        self, peer: str, path: str, headers: dict[str, str], content: Any
    ) -> httpx.Response:
        async with self.client_from(peer) as client:
            return await client.post(path, headers=headers, content=content)


def refused(api: Api, response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    data: dict[str, Any] = response.json()
    assert data["code"] == code
    assert data["http_code"] == status
    assert data["request_id"] == response.headers["x-request-id"]
    if "{" not in CATALOGUE[code].message:
        assert data["message"] == CATALOGUE[code].message
    return data
