"""The ``lead-archive`` command line, thin over the modules it calls."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import datetime
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from asyncmy.errors import MySQLError

from gateway import __version__
from gateway.admin import installer
from gateway.contract import MAX_LEADS
from gateway.db import call_procedure, connect
from gateway.errors import ConfigError, LeadArchiveError
from gateway.http import auth
from gateway.settings import Settings

_USER_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
_VICIDIAL_USER = re.compile(r"^\S{1,20}$")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        result: int = args.run(args)
    except LeadArchiveError as exc:
        print(f"lead-archive: {exc}", file=sys.stderr)
        return 2
    except MySQLError as exc:
        print(f"lead-archive: database error {exc.args[0]}: {exc.args[-1]}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"lead-archive: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lead-archive",
        description="Archive VICIdial leads safely: nothing is deleted that is not verified.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands")

    db = commands.add_parser("db", help="install and check the database side").add_subparsers(
        title="db commands"
    )
    db.add_parser("install", help="create or upgrade procedures and tables").set_defaults(
        run=_db(_install)
    )
    db.add_parser("check", help="readiness report; exit 1 when not ready").set_defaults(
        run=_db(_check)
    )
    db.add_parser(
        "create-archive", help="create vicidial_list_archive the way VICIdial documents it"
    ).set_defaults(run=_db(_create_archive))
    upgrade_archive = db.add_parser(
        "upgrade-archive",
        help="ALTER vicidial_list_archive to vicidial_list's columns without losing a value",
        description="Prints the statements (nothing changed); exit 1 when something cannot be "
        "done safely.",
    )
    upgrade_archive.add_argument("--apply", action="store_true", help="run them")
    upgrade_archive.set_defaults(run=_db(_upgrade_archive))
    explain = db.add_parser(
        "explain",
        help="print the statements a call would run on the lead tables (none is run)",
    )
    explain.add_argument("--restore", action="store_true", help="the way back (dearchive)")
    explain.add_argument("--no-insert", action="store_true")
    explain.add_argument("--no-update", action="store_true")
    explain.add_argument("--no-delete", action="store_true")
    explain.add_argument("ids", nargs="+", type=int, metavar="ID")
    explain.set_defaults(run=_db(_explain))
    grant = db.add_parser(
        "grant", help="GRANT statements for a least-privilege gateway account (EXECUTE only)"
    )
    grant.add_argument("--user", required=True, metavar="NAME@HOST")
    grant.add_argument("--apply", action="store_true", help="run them (the account must exist)")
    grant.set_defaults(run=_grant)

    keys = commands.add_parser("keys", help="API keys of the gateway").add_subparsers(
        title="keys commands"
    )
    create = keys.add_parser("create", help="create a key for an API user; prints it once")
    create.add_argument("name")
    create.add_argument(
        "--vicidial-user",
        metavar="USER",
        help="bind the key to this vicidial_users row: every request is checked as VICIdial's "
        "own API checks that user, and VICIdial's logs name it",
    )
    create.set_defaults(run=_db(_keys_create))
    keys.add_parser("list", help="list API users (never keys)").set_defaults(run=_db(_keys_list))
    revoke = keys.add_parser("revoke", help="revoke an API user's key, at once")
    revoke.add_argument("name")
    revoke.set_defaults(run=_db(_keys_revoke))

    serve = commands.add_parser("serve", help="run the gateway under uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--ssl-certfile")
    serve.add_argument("--ssl-keyfile")
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=_serve)

    bulk = commands.add_parser(
        "archive",
        help="archive (or --restore) many leads in batches; resumable",
        description="Lead ids from --ids-file, stdin, or a selection (--list-id, --status, "
        "--phone, --vendor-lead-code, --entry-before, --entry-after, --last-call-before; "
        "combined with AND). Exit 0 all moved, 1 some kept or not found, "
        "2 refused, 3 stopped early (run the same command again to continue).",
    )
    bulk.add_argument("--ids-file", type=Path, help="one lead id per line ('-': stdin)")
    bulk.add_argument("--list-id", type=int, action="append", help="select by list (repeatable)")
    bulk.add_argument("--status", action="append", help="select by status (repeatable)")
    bulk.add_argument(
        "--phone",
        action="append",
        help="select by phone_number, digits only as VICIdial stores it: '(555) 010-2030' "
        "matches 5550102030 (repeatable; alt_phone is not searched)",
    )
    bulk.add_argument(
        "--vendor-lead-code", action="append", help="select by vendor_lead_code (repeatable)"
    )
    bulk.add_argument(
        "--entry-before", type=_date, help="select entry_date before YYYY-MM-DD[ HH:MM:SS]"
    )
    bulk.add_argument(
        "--entry-after", type=_date, help="select entry_date at or after YYYY-MM-DD[ HH:MM:SS]"
    )
    bulk.add_argument(
        "--last-call-before", type=_date, help="select last_local_call_time before YYYY-MM-DD"
    )
    bulk.add_argument("--url", help="gateway base URL, e.g. https://archive.example:8000")
    bulk.add_argument(
        "--key-file",
        type=Path,
        help="file holding the API key (or LEAD_ARCHIVE_KEY); never on the command line",
    )
    bulk.add_argument(
        "--direct",
        action="store_true",
        help="call the procedure over LEAD_ARCHIVE_DATABASE_URL instead of HTTP",
    )
    bulk.add_argument(
        "--restore", action="store_true", help="the way back: dearchive from vicidial_list_archive"
    )
    bulk.add_argument("--no-insert", action="store_true")
    bulk.add_argument("--no-update", action="store_true")
    bulk.add_argument("--no-delete", action="store_true")
    bulk.add_argument("--batch-size", type=int, default=MAX_LEADS)
    bulk.add_argument(
        "--parallel",
        type=int,
        default=1,
        help="batches in flight at once (1-8, default 1: gentle on a MyISAM dialer; "
        "InnoDB lead tables gain from 2-4)",
    )
    bulk.add_argument("--state-file", type=Path, help="default: ./lead-archive-<job>.state")
    bulk.add_argument("--kept-csv", type=Path, help="default: <state file>.kept.csv")
    bulk.add_argument("--wait", action="store_true", help="sleep through office hours")
    bulk.add_argument(
        "--dry-run",
        action="store_true",
        help="write nothing: ask the procedures what each batch would do and print the "
        "predicted summary (inserted, updated, deleted, kept by reason)",
    )
    gentle = bulk.add_argument_group(
        "throttles", "stay gentle on a live dialer (see the README: when to use which)"
    )
    gentle.add_argument(
        "--max-lock-ms",
        type=float,
        metavar="MS",
        help="adapt the batch size (up to --batch-size) so that no statement of a batch "
        "holds vicidial_list longer than MS milliseconds (sized from the costliest recent "
        "batch)",
    )
    gentle.add_argument(
        "--max-load",
        metavar="NAME=N",
        help="pause while the server's status variable NAME is above N, "
        "e.g. Threads_running=25 (reads LEAD_ARCHIVE_DATABASE_URL)",
    )
    gentle.add_argument("--replica-url", metavar="URL", help="a replica to watch (mysql://…)")
    gentle.add_argument(
        "--max-lag",
        type=float,
        metavar="SECONDS",
        help="with --replica-url: pause while the replica is further behind",
    )
    gentle.add_argument(
        "--sleep", type=float, default=0.0, metavar="SECONDS", help="pause after each batch"
    )
    gentle.add_argument(
        "--max-rate", type=float, metavar="LEADS_PER_S", help="move at most this many leads/s"
    )
    bulk.set_defaults(run=_bulk)

    demo = commands.add_parser("demo", help="the gateway on sample VICIdial data (Ctrl-C stops)")
    demo.add_argument("--leads", type=int, default=10_000, help="sample leads (default 10000)")
    demo.add_argument(
        "--port", type=int, default=8000, help="gateway port (0, or a port in use: any free port)"
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument(
        "--office-hours",
        action="store_true",
        help="keep the real window (mon-fri 08:00-18:00) instead of none",
    )
    demo.set_defaults(run=_demo)
    return parser


def _db(
    action: Callable[[Any, argparse.Namespace], Awaitable[int]],
) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        settings = Settings.from_env()
        assert settings.database_url is not None

        async def go() -> int:
            conn = await connect(settings.database_url)  # type: ignore[arg-type]
            try:
                return await action(conn, args)
            finally:
                conn.close()

        return asyncio.run(go())

    return run


async def _install(conn: Any, args: argparse.Namespace) -> int:
    print(f"server: {await installer.server_version(conn)}")
    changes = await installer.install(conn)
    for line in changes or ["nothing to change: procedures and tables are up to date"]:
        print(line)
    return 0


async def _check(conn: Any, args: argparse.Namespace) -> int:
    version = await installer.server_version(conn)
    problems = await installer.check(conn)
    for line in problems:
        print(line)
    if problems:
        return 1
    print(f"ready: server {version}, tables agree, procedures at '{installer.ROUTINE_COMMENT}'")
    return 0


async def _create_archive(conn: Any, args: argparse.Namespace) -> int:
    changes = await installer.create_archive(conn)
    for line in changes or ["vicidial_list_archive exists already: nothing to change"]:
        print(line)
    return 0


async def _upgrade_archive(conn: Any, args: argparse.Namespace) -> int:
    from gateway.admin import upgrade

    outcome = await upgrade.run(conn, apply=args.apply)
    for line in outcome.lines:
        print(line)
    return outcome.exit_code


async def _explain(conn: Any, args: argparse.Namespace) -> int:
    from asyncmy.errors import MySQLError

    from gateway.admin import explain

    try:
        lines = await explain.statements(
            conn,
            "dearchive" if args.restore else "archive",
            args.ids,
            insert=not args.no_insert,
            update=not args.no_update,
            delete=not args.no_delete,
        )
    except MySQLError as exc:
        if exc.args and exc.args[0] == 1644:  # a refusal: '<code>: <text>'
            print(str(exc.args[1]), file=sys.stderr)
            return 1
        raise
    for line in lines:
        print(line + ";")
    return 0


def _grant(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    assert settings.database_url is not None
    try:
        statements = installer.grant_statements(settings.database_url.database, args.user)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if args.apply:
        return _db(_apply_grant)(args)
    for statement in statements:
        print(statement + ";")
    for statement in installer.revoke_statements(settings.database_url.database, args.user):
        print(f"-- an account granted by an earlier version: {statement};")
    return 0


async def _apply_grant(conn: Any, args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    assert settings.database_url is not None
    for statement in await installer.grant(conn, settings.database_url.database, args.user):
        print(f"applied: {statement}")
    return 0


async def _keys_create(conn: Any, args: argparse.Namespace) -> int:
    name = args.name
    if not _USER_NAME.match(name):
        raise ConfigError("an API user name is 1-64 letters, digits or . _ @ -")
    vicidial_user = args.vicidial_user
    if vicidial_user is not None and not _VICIDIAL_USER.match(vicidial_user):
        raise ConfigError("a VICIdial user is 1-20 characters, without spaces")
    key = auth.new_key()
    try:
        await call_procedure(
            conn, "lead_archive_key_create_bound", [name, auth.key_hash(key), vicidial_user]
        )
    except MySQLError as exc:
        text = str(exc.args[-1])
        if "user_exists" in text:
            raise ConfigError(f"API user {name} has an active key; revoke it first") from None
        if "vicidial_user_not_found" in text:
            where = (
                "this database has no vicidial_users table"
                if "no vicidial_users table" in text
                else "no vicidial_users row has that user"
            )
            raise ConfigError(f"VICIdial user {vicidial_user} does not exist: {where}") from None
        raise
    bound = f" bound to VICIdial user {vicidial_user}" if vicidial_user else ""
    print(f"created API key for {name}{bound}; it is shown once, only its SHA-256 is stored:")
    print(key)
    return 0


async def _keys_list(conn: Any, args: argparse.Namespace) -> int:
    sets = await call_procedure(conn, "lead_archive_key_list", [])
    print(f"{'name':<24} {'created':<20} {'revoked':<20} {'last used':<20} vicidial user")
    for name, created, revoked, used, vicidial_user in sets[-1] if sets else []:
        print(
            f"{name:<24} {created!s:<20} {revoked or '-'!s:<20} {used or '-'!s:<20}"
            f" {vicidial_user or '-'}"
        )
    return 0


async def _keys_revoke(conn: Any, args: argparse.Namespace) -> int:
    name = args.name
    sets = await call_procedure(conn, "lead_archive_key_revoke", [name])
    if not sets or not sets[-1][0][0]:
        print(f"no active key for API user {name}", file=sys.stderr)
        return 1
    print(f"revoked the key of {name}")
    return 0


async def _check_call_time(settings: Settings) -> None:
    """LEAD_ARCHIVE_CALL_TIME_ID must name a call time; a database that is not up yet is left
    to /readyz."""
    from gateway.db import Database

    assert settings.database_url is not None and settings.call_time_id is not None
    database = Database(settings.database_url, pool_size=1)
    try:
        found = await database.call_time(settings.call_time_id)
    except LeadArchiveError:
        return
    finally:
        await database.close()
    if found is None:
        raise ConfigError(
            f"LEAD_ARCHIVE_CALL_TIME_ID: {settings.call_time_id!r} is not in vicidial_call_times"
        )


def _private_metrics_dir() -> None:
    """Metrics summed over the workers (gateway/metrics.py): a private, empty directory, named
    before the app (and prometheus_client) is imported here or in any worker, and removed
    when serve exits, by SIGTERM too (uvicorn re-raises it once it has shut down)."""
    metrics_dir = tempfile.mkdtemp(prefix="lead-archive-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir

    def remove() -> None:
        shutil.rmtree(metrics_dir, ignore_errors=True)

    def remove_then_die(signum: int, frame: object) -> None:
        remove()
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)

    atexit.register(remove)
    signal.signal(signal.SIGTERM, remove_then_die)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.logs import uvicorn_log_config

    settings = Settings.from_env()  # a bad setting stops here with one line, before workers
    if settings.call_time_id is not None:
        asyncio.run(_check_call_time(settings))
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        raise ConfigError("--ssl-certfile and --ssl-keyfile go together")
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    _private_metrics_dir()
    uvicorn.run(
        "gateway.http.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        access_log=False,
        log_config=uvicorn_log_config(),
        server_header=False,
        # the gateway reads X-Forwarded-For / Forwarded itself, from trusted proxies only
        # (LEAD_ARCHIVE_TRUSTED_PROXIES); uvicorn's own handling would believe any local peer
        proxy_headers=False,
    )
    return 0


def _date(text: str) -> str:
    try:
        if len(text) == 10:
            return datetime.date.fromisoformat(text).isoformat()
        return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").isoformat(" ")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD or 'YYYY-MM-DD HH:MM:SS')"
        ) from None


def _bulk(args: argparse.Namespace) -> int:
    from gateway.bulk.command import command

    return command(args)


def _demo(args: argparse.Namespace) -> int:
    from gateway.dev import demo

    if args.leads < 2:
        raise ConfigError("--leads must be at least 2")
    return demo.run(
        leads=args.leads, port=args.port, host=args.host, office_hours=args.office_hours
    )


if __name__ == "__main__":
    raise SystemExit(main())
