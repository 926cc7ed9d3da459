"""``lead-archive archive``: many leads in batches of at most 500, resumable.

Through the HTTP API (``--url``, key from ``--key-file`` or ``LEAD_ARCHIVE_KEY``) or, with
``--direct``, through the procedure over ``LEAD_ARCHIVE_DATABASE_URL``. Both answer with the
same catalogue codes, so the run reacts the same way:

- ``leads_not_found``: those ids are recorded (as already archived, or as not found) and the
  rest of the batch is sent again;
- ``office_hours``: stop and say when the window opens, or sleep until then (``--wait``);
- ``database_unavailable``, ``too_many_requests``, network errors: retry with backoff;
- anything else (bad key, schema mismatch): stop.

Exit codes: 0 every lead moved; 1 finished, with leads kept or not found (see the CSV);
2 refused (settings, key, schema); 3 stopped early (office hours, database away, interrupted):
run the same command again to continue.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncmy.errors import MySQLError

from gateway import logs
from gateway.bulk_state import BatchRecord, State, fingerprint
from gateway.bulk_throttle import MAX_BATCH, BatchSizer, Check, Gate, Pace, lag_check, load_check
from gateway.bulk_transport import DirectTransport, HttpTransport, Transport
from gateway.db import SIGNAL_ERRNO, Direction, call_procedure, connect
from gateway.dburl import DatabaseURL
from gateway.errors import ConfigError, Problem
from gateway.settings import Settings

EXIT_DONE, EXIT_KEPT, EXIT_REFUSED, EXIT_STOPPED = 0, 1, 2, 3
RETRIED = {"database_unavailable", "too_many_requests"}


@dataclass(frozen=True)
class Options:
    direction: Direction
    insert: bool
    update: bool
    delete: bool
    batch_size: int = 500
    wait: bool = False
    retry_for: float = 600.0
    parallel: int = 2
    max_lock_ms: float | None = None
    sleep: float = 0.0
    max_rate: float | None = None


class Progress:
    """tqdm on a terminal; otherwise a log line every 10 seconds."""

    def __init__(self, total: int, done: int, what: str) -> None:
        self.total, self.done, self.what = total, done, what
        self.started = time.monotonic()
        self.start_done = done
        self.last_line = 0.0
        self.bar: Any = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=total, initial=done, unit=" leads", desc=what, unit_scale=True, smoothing=0.1
            )

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.monotonic()
        if now - self.last_line >= 10 or self.done >= self.total:
            self.last_line = now
            rate = (self.done - self.start_done) / max(now - self.started, 1e-9)
            eta = (self.total - self.done) / rate if rate else float("inf")
            print(
                f"{self.what}: {self.done:,}/{self.total:,} leads, {rate:,.0f} leads/s, "
                f"ETA {eta:,.0f} s",
                file=sys.stderr,
                flush=True,
            )

    def pause(self, reason: str | None) -> None:
        """Say why the run waits (None: it goes on)."""
        if self.bar is not None:
            self.bar.set_postfix_str(f"paused: {reason}" if reason else "", refresh=True)
        elif reason:
            print(f"{self.what}: paused: {reason}", file=sys.stderr, flush=True)
        else:
            print(f"{self.what}: going on", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


async def run(
    state: State, transport: Transport, options: Options, checks: list[Check] | None = None
) -> int:
    what = "archiving" if options.direction == "archive" else "restoring"
    progress = Progress(len(state.ids), state.done_leads(), what)
    pending = state.pending()
    sizer = BatchSizer(options.batch_size, options.max_lock_ms)
    gate = Gate(checks or [], progress.pause)
    pace = Pace(options.max_rate)
    stopped = False

    def take() -> tuple[int, list[int]] | None:
        """The next stretch of pending ids, of the size the sizer asks for now."""
        while pending:
            start, end = pending[0]
            count = min(sizer.size, end - start)
            if start + count == end:
                pending.pop(0)
            else:
                pending[0] = (start + count, end)
            return start, state.ids[start : start + count]
        return None

    async def worker() -> None:
        # Several batches in flight hide the client's and the gateway's share of the time
        # behind the database's; the procedures keep their order safe.
        nonlocal stopped
        while not stopped:
            await gate.wait()
            batch = take()
            if batch is None:
                return
            start, ids = batch
            await pace.take(len(ids))
            outcome = await _one_batch(start, ids, transport, options)
            if outcome is None:
                stopped = True
                return
            record, lock_ms = outcome
            state.record(record)
            sizer.observe(len(ids), lock_ms)
            progress.update(len(ids))
            if options.sleep:
                await asyncio.sleep(options.sleep)

    refused: Problem | None = None
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(options.parallel):
                group.create_task(worker())
    except* Problem as group_error:
        first = group_error.exceptions[0]
        assert isinstance(first, Problem)
        refused = first
    finally:
        progress.close()
        await transport.close()
    if refused is not None:
        print(f"stopped: {refused.code}: {refused.message}", file=sys.stderr)
        for column in refused.extra.get("columns", []):
            print(f"  {column['column']}: {column['problem']}", file=sys.stderr)
        return EXIT_REFUSED
    if stopped:
        return EXIT_STOPPED
    totals = state.totals()
    return EXIT_KEPT if totals.get("not_found") or state.kept() else EXIT_DONE


async def _one_batch(
    start: int, ids: list[int], transport: Transport, options: Options
) -> tuple[BatchRecord, float | None] | None:
    record = BatchRecord(start, len(ids))
    remaining = list(ids)
    lock_ms: float | None = None
    delay, give_up = 1.0, time.monotonic() + options.retry_for
    while remaining:
        try:
            moved = await transport.move(remaining, options)
        except Problem as problem:
            if problem.code == "leads_not_found":
                missing = set(problem.extra.get("lead_ids", []))
                archived = set(problem.extra.get("already_archived", []))
                record.already += [i for i in remaining if i in archived]
                record.not_found += [i for i in remaining if i in missing - archived]
                remaining = [i for i in remaining if i not in missing]
                continue
            wait = int(problem.headers.get("Retry-After", "0") or 0)
            if problem.code == "office_hours":
                opens = time.strftime("%Y-%m-%d %H:%M", time.localtime(time.time() + wait))
                if not options.wait:
                    print(
                        f"\noffice hours: the API opens at {opens} (in {wait} s); run the same"
                        " command again then, or add --wait",
                        file=sys.stderr,
                    )
                    return None
                print(f"\noffice hours: waiting until {opens}", file=sys.stderr)
                await asyncio.sleep(wait + 1)
                continue
            if problem.code in RETRIED and time.monotonic() < give_up:
                await asyncio.sleep(max(delay, wait))
                delay = min(delay * 2, 60)
                continue
            if problem.code in RETRIED:
                print(
                    f"\nstopped: {problem.message}; run the same command again to continue",
                    file=sys.stderr,
                )
                return None
            raise
        lock_ms = moved.lock_ms
        for r in moved.leads:
            record.inserted += r.inserted
            record.updated += r.updated
            record.deleted += r.deleted
            if r.reason:
                record.kept[r.lead_id] = r.reason
        break
    return record, lock_ms


def write_kept_csv(state: State, path: Path) -> int:
    rows = state.kept() + sorted((i, "not_found") for b in state.done.values() for i in b.not_found)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["lead_id", "reason"])
        writer.writerows(rows)
    return len(rows)


def summary_table(state: State) -> str:
    totals = state.totals()
    lines = [f"{'leads in the job':<24}{len(state.ids):>12,}"]
    for key in ("inserted", "updated", "deleted"):
        lines.append(f"{key:<24}{totals.get(key, 0):>12,}")
    for key, value in totals.items():
        if key.startswith("kept_"):
            lines.append(f"{'kept (' + key[5:] + ')':<24}{value:>12,}")
    lines.append(f"{'already archived':<24}{totals.get('already', 0):>12,}")
    lines.append(f"{'not found':<24}{totals.get('not_found', 0):>12,}")
    return "\n".join(lines)


def command(args: argparse.Namespace) -> int:
    """``lead-archive archive``: build the job from the command line, run it, report."""
    logs.setup("WARNING")
    if not 1 <= args.batch_size <= MAX_BATCH:
        raise ConfigError(f"--batch-size must be between 1 and {MAX_BATCH}")
    if not 1 <= args.parallel <= 8:
        raise ConfigError("--parallel must be between 1 and 8")
    for flag, value in (
        ("--max-lock-ms", args.max_lock_ms),
        ("--max-rate", args.max_rate),
        ("--max-lag", args.max_lag),
    ):
        if value is not None and not value > 0:
            raise ConfigError(f"{flag} must be a positive number")
    if args.sleep < 0:
        raise ConfigError("--sleep must not be negative")
    if (args.replica_url is None) != (args.max_lag is None):
        raise ConfigError("--replica-url and --max-lag go together")
    direction: Direction = "dearchive" if args.restore else "archive"
    options = Options(
        direction,
        insert=not args.no_insert,
        update=not args.no_update and not args.restore,
        delete=not args.no_delete,
        batch_size=args.batch_size,
        wait=args.wait,
        parallel=args.parallel,
        max_lock_ms=args.max_lock_ms,
        sleep=args.sleep,
        max_rate=args.max_rate,
    )
    checks = _checks(args)
    selection = _selection(args)
    if bool(selection) == (args.ids_file is not None):
        raise ConfigError(
            "give the leads either with --ids-file (or '-' for stdin) "
            "or with a selection (--list-id, --status, --phone, --entry-before, …)"
        )
    ids: list[int] | None = None
    job: dict[str, Any] = {
        "direction": direction,
        "insert": options.insert,
        "update": options.update,
        "delete": options.delete,
        "batch_size": options.batch_size,
    }
    if args.ids_file is not None:
        ids = _read_ids(
            sys.stdin.read() if str(args.ids_file) == "-" else args.ids_file.read_text()
        )
        job["ids"] = fingerprint({"ids": ids})
    else:
        job["selection"] = selection
    state_path = args.state_file or Path(f"lead-archive-{fingerprint(job)}.state")
    if ids is None and not state_path.exists():
        ids = asyncio.run(_select(direction, selection))
    state = State.open(state_path, job, ids)
    if args.direct:
        settings = Settings.from_env()
        assert settings.database_url is not None
        transport: Transport = DirectTransport(settings.database_url, pool_size=args.parallel)
    else:
        if not args.url:
            raise ConfigError("--url is required (or --direct)")
        key = (
            args.key_file.read_text() if args.key_file else os.environ.get("LEAD_ARCHIVE_KEY", "")
        ).strip()
        if not key:
            raise ConfigError("no API key: use --key-file or LEAD_ARCHIVE_KEY")
        transport = HttpTransport(args.url, key)
    print(
        f"{len(state.ids):,} leads, {len(state.done)} batches already done "
        f"({state.done_leads():,} leads); state in {state_path}",
        file=sys.stderr,
    )
    try:
        code = asyncio.run(run(state, transport, options, checks))
    except KeyboardInterrupt:
        print(
            "\ninterrupted: nothing is lost; run the same command again to continue",
            file=sys.stderr,
        )
        code = EXIT_STOPPED
    kept_path = args.kept_csv or state_path.with_name(state_path.name + ".kept.csv")
    kept = write_kept_csv(state, kept_path)
    print(summary_table(state))
    if kept:
        print(f"{kept:,} leads kept or not found: {kept_path}")
    return code


def _checks(args: argparse.Namespace) -> list[Check]:
    """The pauses asked for: --max-load reads the archived server, --max-lag a replica."""
    checks: list[Check] = []
    if args.max_load:
        settings = Settings.from_env()
        if settings.database_url is None:
            raise ConfigError("--max-load reads the server at LEAD_ARCHIVE_DATABASE_URL: set it")
        checks.append(load_check(settings.database_url, args.max_load))
    if args.replica_url:
        checks.append(lag_check(DatabaseURL.parse(args.replica_url), args.max_lag))
    return checks


def _read_ids(text: str) -> list[int]:
    ids: list[int] = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not line.isdigit() or not 1 <= int(line) <= 4_294_967_295:
            raise ConfigError(f"line {n}: {line[:30]!r} is not a lead id")
        ids.append(int(line))
    if len(set(ids)) != len(ids):
        raise ConfigError("the id list repeats an id")
    if not ids:
        raise ConfigError("no lead ids given")
    return ids


def _selection(args: argparse.Namespace) -> dict[str, Any]:
    """The selection filters given on the command line, as lead_archive_select_leads reads them
    (keys absent when not given; the procedure checks and normalises the values)."""
    given = {
        "list_id": args.list_id,
        "status": args.status,
        "phone": args.phone,
        "vendor_lead_code": args.vendor_lead_code,
        "entry_before": args.entry_before,
        "entry_after": args.entry_after,
        "last_call_before": args.last_call_before,
    }
    for phone in args.phone or []:
        if not any(c.isdigit() for c in phone):
            raise ConfigError(f"--phone {phone!r} holds no digit")
    return {k: v for k, v in given.items() if v is not None}


async def _select(direction: str, selection: dict[str, Any]) -> list[int]:
    settings = Settings.from_env()
    assert settings.database_url is not None
    conn = await connect(settings.database_url)
    try:
        table = "vicidial_list" if direction == "archive" else "vicidial_list_archive"
        try:
            sets = await call_procedure(
                conn, "lead_archive_select_leads", [table, json.dumps(selection)]
            )
        except MySQLError as exc:
            text = str(exc.args[1]) if len(exc.args) > 1 else ""
            if exc.args and exc.args[0] == SIGNAL_ERRNO and text.startswith("invalid_selection"):
                raise ConfigError(text.split(": ", 1)[-1]) from None
            raise
    finally:
        conn.close()
    ids = [int(r[0]) for r in (sets[-1] if sets else [])]
    if not ids:
        raise ConfigError("the selection matches no lead")
    return ids
