"""A simulated VICIdial dialer: an open-loop stream of operations on vicidial_list.

    .venv/bin/python -m bench.dialer --port 3306 --leads 200000 --out ops.tsv [--rate 200]
        [--connections 4] [--mix hopper=0.1,disposition=0.4,lookup=0.4,new_lead=0.1]

Operation k is scheduled at ``start + k / rate`` whatever happened to the ones before, handed
to the first free connection, and its latency is measured **from its scheduled time**: an
operation that waited for a busy connection (because the table was locked) counts the wait,
as the agent waiting on a disposition would (no coordinated omission).

The operations, on the active lists (list_id 1006-1011 of the sample data; the archivers
take leads of lists 1000-1005):

- ``hopper``: what AST_VDhopper does: ``SELECT lead_id … WHERE called_since_last_reset='N'
  AND status IN ('NEW','NA') AND list_id=? LIMIT 50``, then the campaign's old hopper rows are
  cleared and the leads inserted into ``vicidial_hopper``;
- ``disposition``: ``UPDATE vicidial_list SET status=?, called_count=called_count+1 WHERE
  lead_id=?``;
- ``lookup``: ``SELECT … WHERE phone_number=?`` (an inbound call finding its lead);
- ``new_lead``: ``INSERT INTO vicidial_list`` (a web form, a list loader).

Each connection sets ``long_query_time`` high for itself, so a slow log kept by the benchmark
holds the archivers' statements only. Writes one line per operation to ``--out`` when it stops
(SIGTERM, SIGINT or ``--seconds``): ``kind<TAB>scheduled<TAB>latency_ms<TAB>ok``, times from
``time.monotonic()`` (one clock for every process of the machine). ``--status`` keeps a file
with the current backlog (operations due and not done, how late the oldest is) for a harness
to wait on.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncmy

from gateway.db import connect  # noqa: F401  (quiets asyncmy's warning log)
from gateway.dburl import DatabaseURL

KINDS = ("hopper", "disposition", "lookup", "new_lead")
DEFAULT_MIX = "hopper=0.1,disposition=0.4,lookup=0.4,new_lead=0.1"
ACTIVE = range(6, 12)  # lead_id % 12 of the active lists: list_id = 1000 + lead_id % 12
HOPPER_FILL = 50
DISPOSITIONS = ("NA", "B", "A", "SALE", "DROP", "CALLBK", "DNC", "N")

SELECT_HOPPER = (
    "SELECT /* dialer */ lead_id, list_id, gmt_offset_now FROM vicidial_list "
    "WHERE called_since_last_reset = 'N' AND status IN ('NEW', 'NA') AND list_id = %s "
    f"LIMIT {HOPPER_FILL}"
)
CLEAR_HOPPER = "DELETE /* dialer */ FROM vicidial_hopper WHERE campaign_id = %s"
FILL_HOPPER = (
    "INSERT /* dialer */ INTO vicidial_hopper (lead_id, campaign_id, status, list_id, "
    "gmt_offset_now) VALUES (%s, %s, 'READY', %s, %s)"
)
DISPOSITION = (
    "UPDATE /* dialer */ vicidial_list SET status = %s, called_count = called_count + 1 "
    "WHERE lead_id = %s"
)
LOOKUP = (
    "SELECT /* dialer */ lead_id, list_id, status, first_name, last_name FROM vicidial_list "
    "WHERE phone_number = %s"
)
NEW_LEAD = (
    "INSERT /* dialer */ INTO vicidial_list (entry_date, status, list_id, phone_code, "
    "phone_number, first_name, last_name, called_since_last_reset, entry_list_id) "
    "VALUES (NOW(), 'NEW', %s, '1', %s, 'Web', 'Lead', 'N', 0)"
)


def parse_mix(text: str) -> dict[str, float]:
    mix: dict[str, float] = {}
    for item in text.split(","):
        name, _, share = item.partition("=")
        name = name.strip()
        if name not in KINDS:
            raise argparse.ArgumentTypeError(f"unknown operation {name!r} (known: {KINDS})")
        mix[name] = float(share)
    if sum(mix.values()) <= 0:
        raise argparse.ArgumentTypeError("the mix needs a positive share")
    return mix


@dataclass
class Op:
    kind: str
    scheduled: float
    args: tuple[Any, ...]


class Dialer:
    def __init__(self, leads: int, mix: dict[str, float], seed: int) -> None:
        self.leads = leads
        self.kinds = list(mix)
        self.weights = [mix[k] for k in self.kinds]
        self.rng = random.Random(seed)
        self.records: list[tuple[str, float, float, int]] = []

    def active_lead(self) -> int:
        while True:
            lead = self.rng.randrange(0, self.leads // 12) * 12 + self.rng.choice(ACTIVE)
            if 1 <= lead <= self.leads:
                return lead

    def next_op(self, scheduled: float) -> Op:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        if kind == "hopper":
            list_id = 1000 + self.rng.choice(ACTIVE)
            return Op(kind, scheduled, (list_id,))
        if kind == "disposition":
            return Op(kind, scheduled, (self.rng.choice(DISPOSITIONS), self.active_lead()))
        if kind == "lookup":
            return Op(kind, scheduled, (f"555{self.active_lead() % 10_000_000:07d}",))
        phone = f"556{self.rng.randrange(10_000_000):07d}"
        return Op(kind, scheduled, (1000 + self.rng.choice(ACTIVE), phone))

    @staticmethod
    async def execute(conn: Any, op: Op) -> None:
        async with conn.cursor() as cur:
            if op.kind == "hopper":
                (list_id,) = op.args
                await cur.execute(SELECT_HOPPER, (list_id,))
                rows = await cur.fetchall()
                campaign = f"C{list_id}"
                await cur.execute(CLEAR_HOPPER, (campaign,))
                if rows:
                    await cur.executemany(
                        FILL_HOPPER, [(lead, campaign, lst, gmt) for lead, lst, gmt in rows]
                    )
            elif op.kind == "disposition":
                await cur.execute(DISPOSITION, op.args)
            elif op.kind == "lookup":
                await cur.execute(LOOKUP, op.args)
                await cur.fetchall()
            else:
                await cur.execute(NEW_LEAD, op.args)

    async def run(
        self,
        url: DatabaseURL,
        rate: float,
        connections: int,
        seconds: float,
        stop: asyncio.Event,
        status: Path | None = None,
    ) -> None:
        conns = [
            await asyncmy.connect(autocommit=True, **url.connect_args()) for _ in range(connections)
        ]
        for conn in conns:
            async with conn.cursor() as cur:
                await cur.execute("SET SESSION long_query_time = 31536000")
        queue: asyncio.Queue[Op | None] = asyncio.Queue()
        unfinished: dict[int, float] = {}  # id(op) -> scheduled, from dispatch to its end

        async def worker(conn: Any) -> None:
            while (op := await queue.get()) is not None:
                ok = 1
                try:
                    await self.execute(conn, op)
                except asyncmy.errors.MySQLError:
                    ok = 0
                unfinished.pop(id(op), None)
                latency = (time.monotonic() - op.scheduled) * 1000
                self.records.append((op.kind, op.scheduled, latency, ok))

        async def report() -> None:
            # How many operations are due and not done, and how late the oldest is: a harness
            # waits on it until the dialer has caught up.
            while status is not None:
                now = time.monotonic()
                oldest = (now - min(unfinished.values())) * 1000 if unfinished else 0.0
                tmp = status.with_suffix(".tmp")
                tmp.write_text(f"{now:.3f} {len(unfinished)} {oldest:.1f}\n")
                tmp.replace(status)
                await asyncio.sleep(0.1)

        workers = [asyncio.create_task(worker(c)) for c in conns]
        reporter = asyncio.create_task(report())
        start = time.monotonic() + 0.1
        k = 0
        while not stop.is_set():
            scheduled = start + k / rate
            if seconds and scheduled - start >= seconds:
                break
            delay = scheduled - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                    break
                except TimeoutError:
                    pass
            op = self.next_op(scheduled)
            unfinished[id(op)] = scheduled
            queue.put_nowait(op)
            k += 1
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)
        reporter.cancel()
        for conn in conns:
            conn.close()


def write(records: list[tuple[str, float, float, int]], path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as out:
        for kind, scheduled, latency, ok in records:
            out.write(f"{kind}\t{scheduled:.6f}\t{latency:.3f}\t{ok}\n")
    tmp.replace(path)


def backlog(path: Path) -> tuple[float, int, float] | None:
    """The status file's (time, operations due and not done, ms the oldest of them is
    late), or None before the first."""
    try:
        when, due, oldest = path.read_text().split()
    except (OSError, ValueError):
        return None
    return float(when), int(due), float(oldest)


def read(path: Path) -> list[tuple[str, float, float, int]]:
    records = []
    for line in path.read_text().splitlines():
        kind, scheduled, latency, ok = line.split("\t")
        records.append((kind, float(scheduled), float(latency), int(ok)))
    return records


async def main_async(args: argparse.Namespace) -> None:
    url = DatabaseURL(
        user=args.user, password="", host="127.0.0.1", port=args.port, database=args.database
    )
    dialer = Dialer(args.leads, args.mix, args.seed)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("dialer running", flush=True)
    await dialer.run(url, args.rate, args.connections, args.seconds, stop, args.status)
    write(dialer.records, args.out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.dialer", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", default="root")
    parser.add_argument("--database", default="asterisk")
    parser.add_argument("--leads", type=int, required=True, help="leads of the sample table")
    parser.add_argument("--rate", type=float, default=200, help="operations per second")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--mix", type=parse_mix, default=parse_mix(DEFAULT_MIX))
    parser.add_argument("--seconds", type=float, default=0, help="stop after (0: at SIGTERM)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--status", type=Path, help="a file rewritten every 0.1 s: monotonic time, backlog"
    )
    asyncio.run(main_async(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
