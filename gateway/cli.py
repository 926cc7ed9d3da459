"""The ``lead-archive`` command line, thin over the modules it calls."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from gateway import installer
from gateway.db import connect
from gateway.errors import LeadArchiveError
from gateway.settings import Settings


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
    return parser


def _db(action: Callable[[Any], Awaitable[int]]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        settings = Settings.from_env()
        assert settings.database_url is not None

        async def go() -> int:
            conn = await connect(settings.database_url)  # type: ignore[arg-type]
            try:
                return await action(conn)
            finally:
                conn.close()

        return asyncio.run(go())

    return run


async def _install(conn: Any) -> int:
    changes = await installer.install(conn)
    for line in changes or ["nothing to change: procedures and tables are up to date"]:
        print(line)
    return 0


async def _check(conn: Any) -> int:
    version = await installer.server_version(conn)
    problems = await installer.check(conn)
    for line in problems:
        print(line)
    if problems:
        return 1
    print(f"ready: server {version}, tables agree, procedures at '{installer.ROUTINE_COMMENT}'")
    return 0


async def _create_archive(conn: Any) -> int:
    changes = await installer.create_archive(conn)
    for line in changes or ["vicidial_list_archive exists already: nothing to change"]:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
