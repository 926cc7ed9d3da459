"""Synchronous helpers over asyncmy for tests: a database handle, the VICIdial fixture, leads."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import random
from collections.abc import Iterable, Sequence
from typing import Any

import asyncmy
import pytest
from asyncmy.errors import MySQLError

from gateway.admin import installer
from gateway.db import execute_all
from gateway.dburl import DatabaseURL

LEAD_TABLES = ("vicidial_list", "vicidial_list_archive")


class SyncDB:
    """One connection, autocommit, used synchronously."""

    def __init__(self, url: DatabaseURL) -> None:
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.conn: Any = self.loop.run_until_complete(
            asyncmy.connect(autocommit=True, **url.connect_args())
        )

    @property
    def name(self) -> str:
        return self.url.database

    def close(self) -> None:
        """QUIT and wait for the socket to close: a session the server still holds keeps its
        transaction's locks, and the test database's DROP would wait on them."""
        try:
            self.loop.run_until_complete(self.conn.ensure_closed())
        except Exception:  # already broken: drop the socket
            self.conn.close()
        self.loop.close()

    def results(self, sql: str, args: Any = None) -> list[list[tuple[Any, ...]]]:
        return self.loop.run_until_complete(execute_all(self.conn, sql, args))

    def execute(self, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
        sets = self.results(sql, args)
        return sets[-1] if sets else []

    def update(self, sql: str, args: Any = None) -> int:
        """Run a data change; the number of rows it changed."""

        async def go() -> int:
            async with self.conn.cursor() as cur:
                return int(await cur.execute(sql, args))

        return int(self.loop.run_until_complete(go()))

    def value(self, sql: str, args: Any = None) -> Any:
        rows = self.execute(sql, args)
        return rows[0][0] if rows else None

    def script(self, text: str) -> None:
        self.loop.run_until_complete(installer.run_script(self.conn, text))

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def call(self, procedure: str, *args: Any) -> list[tuple[Any, ...]]:
        placeholders = ", ".join(["%s"] * len(args))
        return self.execute(f"CALL {procedure}({placeholders})", args)

    def archive(
        self, ids: Sequence[int] | str, ins: bool = True, upd: bool = True, dele: bool = True
    ) -> list[tuple[Any, ...]]:
        text = ids if isinstance(ids, str) else "[" + ",".join(map(str, ids)) + "]"
        return self.call("archive_leads", text, ins, upd, dele)

    def dearchive(
        self, ids: Sequence[int] | str, ins: bool = True, dele: bool = True
    ) -> list[tuple[Any, ...]]:
        text = ids if isinstance(ids, str) else "[" + ",".join(map(str, ids)) + "]"
        return self.call("dearchive_leads", text, ins, dele)

    def checksums(self, tables: Iterable[str] = LEAD_TABLES) -> dict[str, Any]:
        out = {}
        for table in tables:
            rows = self.execute(f"CHECKSUM TABLE `{table}` EXTENDED")
            out[table] = rows[0][1]
        return out

    def ids(self, table: str) -> list[int]:
        return [int(r[0]) for r in self.execute(f"SELECT lead_id FROM `{table}` ORDER BY lead_id")]

    def row(self, table: str, lead_id: int) -> tuple[Any, ...] | None:
        """The row with every column as bytes (None for NULL): a byte-exact view."""
        cols = self.columns(table)
        select = ", ".join(f"CAST(`{c}` AS BINARY)" for c in cols)
        rows = self.execute(f"SELECT {select} FROM `{table}` WHERE lead_id = %s", (lead_id,))
        return tuple(rows[0]) if rows else None

    def columns(self, table: str) -> list[str]:
        return [
            str(r[0])
            for r in self.execute(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                "DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
                (table,),
            )
        ]

    def audit_count(self) -> int:
        return int(self.value("SELECT COUNT(*) FROM lead_archive_audit"))


def build_vicidial(
    db: SyncDB, *, engine: str = "MyISAM", archive: bool = True, install: bool = True
) -> None:
    """VICIdial's tables (engine as asked), the archive made as VICIdial documents it, and
    the procedures."""
    db.run(installer.load_vicidial_schema(db.conn, engine))
    if archive:
        db.run(installer.create_archive(db.conn))
    if install:
        db.run(installer.install(db.conn))


_FIRST = ["Ann", "José", "Zoë", "Łukasz", "O'Brien", "Smith", "smith", "Müller", "Ñandú", ""]
_LAST = ["Smith", "SMITH", "Lee ", "García", "Nguyễn", "Dvořák", "D'Angelo", "x", None]
_STATUS = ["NEW", "NA", "SALE", "DNC", "CALLBK", "B", "DROP", None]
_CSLR = ["Y", "N", "Y1", "Y10", "D", None]


def make_lead(lead_id: int, rng: random.Random) -> dict[str, Any]:
    """A varied, realistic lead: NULLs, accents, case and trailing-space variants."""
    entry = dt.datetime(2019, 1, 1) + dt.timedelta(minutes=rng.randrange(3_000_000))
    return {
        "lead_id": lead_id,
        "entry_date": rng.choice([entry, None, dt.datetime(2000, 1, 1)]),
        "modify_date": entry + dt.timedelta(days=rng.randrange(400)),
        "status": rng.choice(_STATUS),
        "user": rng.choice(["6666", "agent01", None, ""]),
        "vendor_lead_code": rng.choice([f"V{lead_id}", None, ""]),
        "source_id": rng.choice(["web", "import ", None]),
        "list_id": rng.choice([101, 102, 998, 10_000_000_001]),
        "gmt_offset_now": decimal.Decimal(rng.choice(["-5.00", "1.00", "5.50", "0.00"])),
        "called_since_last_reset": rng.choice(_CSLR),
        "phone_code": rng.choice(["1", "44", None]),
        "phone_number": f"{rng.randrange(10**9, 10**10)}",
        "title": rng.choice(["Mr", "Ms", "Dr.", None]),
        "first_name": rng.choice(_FIRST),
        "middle_initial": rng.choice(["A", "b", None]),
        "last_name": rng.choice(_LAST),
        "address1": rng.choice(["1 Main St", "1 main st", "Straße 5", None]),
        "address2": None,
        "address3": rng.choice(["", None]),
        "city": rng.choice(["Zürich", "zurich", "Paris", None]),
        "state": rng.choice(["FL", "fl", None]),
        "province": None,
        "postal_code": rng.choice(["33101", "33101 ", None]),
        "country_code": rng.choice(["USA", "FRA", None]),
        "gender": rng.choice(["M", "F", "U", None]),
        "date_of_birth": rng.choice([dt.date(1970, 5, 17), None]),
        "alt_phone": rng.choice(["", None, "5551234"]),
        "email": rng.choice(["a@example.com", "A@Example.com", None]),
        "security_phrase": rng.choice(["ñ", None]),
        "comments": rng.choice(["", "call back after 5", "émoji-free but accented é", None]),
        "called_count": rng.randrange(0, 60),
        "last_local_call_time": rng.choice([entry, None]),
        "rank": rng.randrange(-5, 5),
        "owner": rng.choice(["", "owner1", None]),
        "entry_list_id": rng.choice([0, 101]),
    }


def insert_leads(
    db: SyncDB,
    leads: Sequence[dict[str, Any]],
    table: str = "vicidial_list",
    columns: Sequence[str] | None = None,
) -> None:
    if not leads:
        return
    cols = list(columns or db.columns(table))
    rows = [tuple(lead.get(c) for c in cols) for lead in leads]
    names = ", ".join(f"`{c}`" for c in cols)
    marks = ", ".join(["%s"] * len(cols))

    async def go() -> None:
        async with db.conn.cursor() as cur:
            await cur.executemany(f"INSERT INTO `{table}` ({names}) VALUES ({marks})", rows)

    db.run(go())


def seed_leads(db: SyncDB, count: int, *, first_id: int = 1, seed: int = 7) -> list[int]:
    rng = random.Random(seed)
    leads = [make_lead(first_id + i, rng) for i in range(count)]
    insert_leads(db, leads)
    return [lead["lead_id"] for lead in leads]


# sql_mode settings the procedure tests run under
STRICT = "STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION"
LOOSE = "NO_ENGINE_SUBSTITUTION"
# MySQL 8+'s default, which MariaDB accepts too
MYSQL_DEFAULT = (
    "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
)


def refused(
    db: SyncDB, call: str, args: tuple[object, ...], prefix: str
) -> list[tuple[object, ...]]:
    """Run a call that must be refused with ``prefix``; assert nothing changed; return the
    details result set the procedure sent before the error."""
    before = db.checksums()
    audits = db.audit_count()
    with pytest.raises(MySQLError) as info:
        db.execute(call, args)
    assert info.value.args[0] == 1644, info.value.args
    assert str(info.value.args[1]).startswith(prefix + ":"), info.value.args
    assert db.checksums() == before
    assert db.audit_count() == audits
    sets = getattr(info.value, "result_sets", [])
    return sets[-1] if sets else []
