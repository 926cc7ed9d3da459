"""``lead-archive archive``: the command line → a job (ids or a selection), then run it."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from asyncmy.errors import MySQLError

from gateway import logs
from gateway.bulk.options import Options
from gateway.bulk.report import summary_table, write_kept_csv
from gateway.bulk.runner import EXIT_STOPPED, run
from gateway.bulk.state import State, fingerprint
from gateway.bulk.throttles import MAX_BATCH, Check, lag_check, load_check
from gateway.bulk.transport import DirectTransport, HttpTransport, Transport
from gateway.contract import MAX_LEAD_ID
from gateway.db import SIGNAL_ERRNO, Direction, call_procedure, connect
from gateway.dburl import DatabaseURL
from gateway.errors import ConfigError
from gateway.settings import Settings


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
        transport: Transport = DirectTransport(
            settings.database_url, pool_size=args.parallel, vicidial_log=settings.vicidial_log
        )
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
        if not line.isdigit() or not 1 <= int(line) <= MAX_LEAD_ID:
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
