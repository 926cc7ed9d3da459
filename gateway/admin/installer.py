"""Loads ``sql/`` into a server: ``db install``, ``db check``, ``db create-archive``.

The SQL files are written for the ``mariadb`` client (``DELIMITER`` included) so that a DBA can
source them by hand; :func:`split_statements` does what the client does with them. They live in
``sql/`` at the top of the repository and travel in the wheel as the package data of
``gateway._sql`` (pyproject.toml); they are read through :mod:`importlib.resources`, so the same
code serves a wheel, an editable install and the source tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from asyncmy.errors import MySQLError

from gateway.db import GATEWAY_PROCEDURES, execute_all
from gateway.db.mapping import DENIED_ERRNOS
from gateway.errors import LeadArchiveError, UnsupportedServer


class MissingSQL(LeadArchiveError):
    """The installation lacks the SQL files it needs (an incomplete package)."""


def _locate_sql() -> Traversable:
    try:
        return files("gateway._sql")
    except ModuleNotFoundError:
        source = Path(__file__).resolve().parents[2]
        if (source / "pyproject.toml").is_file():  # the source tree, imported uninstalled
            return source / "sql"
        return source / "gateway" / "_sql"  # an incomplete installation: the readers say so


SQL_DIR = _locate_sql()
ROUTINE_COMMENT = "lead-archive 1"
MIN_MARIADB = (10, 3)
MIN_MYSQL = (8, 0)
LEAD_TABLES = ("vicidial_list", "vicidial_list_archive")
# What the gateway's account may run (gateway.db.GATEWAY_PROCEDURES): the move through
# lead_archive_gateway_move (the actor derived from the key), the key check and throttle, the
# readiness report, the call time of LEAD_ARCHIVE_CALL_TIME_ID, the phone look-up through
# lead_archive_gateway_lookup, the plans. All are SQL SECURITY DEFINER;
# the account gets no privilege on any table. Earlier versions granted lead_archive_move
# itself, with which the account could write any actor into the audit, and
# lead_archive_lookup, which applies no VICIdial user's list restriction (an account that
# keeps it could read the archived leads of every list): grant() revokes both.
NOT_FOR_GATEWAY = ("lead_archive_move", "lead_archive_lookup")


def split_statements(text: str) -> list[str]:
    """Split a client script into statements, honouring ``DELIMITER`` lines."""
    statements: list[str] = []
    delimiter = ";"
    buffer: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not buffer and (not stripped or stripped.startswith("--")):
            continue
        match = re.fullmatch(r"(?i)delimiter\s+(\S+)", stripped)
        if match and not buffer:
            delimiter = match.group(1)
            continue
        buffer.append(line)
        if stripped.endswith(delimiter):
            statement = "\n".join(buffer).rstrip()[: -len(delimiter)].strip()
            if statement:
                statements.append(statement)
            buffer = []
    tail = "\n".join(buffer).strip()
    if tail:
        statements.append(tail)
    return statements


def parse_server_version(version: str) -> tuple[str, tuple[int, ...]]:
    """``'10.11.19-MariaDB-0+deb12u1'`` → ``('MariaDB', (10, 11, 19))``."""
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", version)
    numbers = tuple(int(n) for n in match.groups()) if match else (0, 0, 0)
    kind = "MariaDB" if "mariadb" in version.lower() else "MySQL"
    return kind, numbers


def require_supported(version: str) -> None:
    kind, numbers = parse_server_version(version)
    least = MIN_MARIADB if kind == "MariaDB" else MIN_MYSQL
    if numbers[:2] < least:
        wanted = ".".join(map(str, least))
        raise UnsupportedServer(
            f"{kind} {version} is not supported: lead-archive needs {kind} {wanted} or later"
        )


@dataclass(frozen=True)
class Routine:
    name: str
    path: Traversable
    body: str

    @classmethod
    def load(cls, path: Traversable) -> Routine:
        text = path.read_text(encoding="utf-8")
        match = re.search(r"(?is)CREATE\s+PROCEDURE\s+`?(\w+)`?.*?\n(BEGIN\b.*\bEND)\s*//", text)
        if not match:
            raise ValueError(f"{path.name}: no CREATE PROCEDURE … BEGIN … END // found")
        return cls(name=match.group(1), path=path, body=match.group(2))


def sql_files(folder: str) -> list[Traversable]:
    """The ``*.sql`` files of one folder of ``sql/``, by name; a folder that is missing or
    empty means the package is incomplete, and nothing is installed or checked."""
    where = SQL_DIR / folder
    found = sorted(
        (f for f in where.iterdir() if f.name.endswith(".sql") and f.is_file())
        if where.is_dir()
        else (),
        key=lambda f: f.name,
    )
    if not found:
        raise MissingSQL(
            f"no SQL files in {where}: this installation of lead-archive is incomplete "
            "(reinstall it from a wheel or the repository)"
        )
    return found


def read_sql(folder: str, name: str) -> str:
    path = SQL_DIR / folder / name
    if not path.is_file():
        raise MissingSQL(
            f"{folder}/{name} is missing: this installation of lead-archive is incomplete "
            "(reinstall it from a wheel or the repository)"
        )
    return path.read_text(encoding="utf-8")


def routines() -> list[Routine]:
    return [Routine.load(p) for p in sql_files("procedures")]


def schema_files() -> list[Traversable]:
    return sql_files("schema")


async def run_script(conn: Any, text: str) -> None:
    async with conn.cursor() as cur:
        for statement in split_statements(text):
            await cur.execute(statement)
            while await cur.nextset():
                pass


async def query(conn: Any, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
    """The last result set of one statement."""
    sets = await execute_all(conn, sql, args)
    return sets[-1] if sets else []


async def server_version(conn: Any) -> str:
    rows = await query(conn, "SELECT VERSION()")
    return str(rows[0][0])


async def existing_tables(conn: Any) -> set[str]:
    rows = await query(
        conn,
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    )
    return {str(r[0]) for r in rows}


async def table_columns(conn: Any, table: str) -> list[str]:
    rows = await query(
        conn,
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
        " AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
        (table,),
    )
    return [str(r[0]) for r in rows]


async def installed_routines(conn: Any) -> dict[str, tuple[str, str]]:
    """name → (body, comment) of the procedures in the current database."""
    rows = await query(
        conn,
        "SELECT ROUTINE_NAME, ROUTINE_DEFINITION, ROUTINE_COMMENT FROM information_schema.ROUTINES"
        " WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE = 'PROCEDURE'",
    )
    return {str(r[0]): (str(r[1] or ""), str(r[2] or "")) for r in rows}


async def install(conn: Any) -> list[str]:
    """Create or upgrade the project's tables and procedures. Returns what changed. Every file
    is read before the server is touched: an incomplete package changes nothing."""
    schemas, wanted = schema_files(), routines()
    version = await server_version(conn)
    require_supported(version)
    changes: list[str] = []
    tables = await existing_tables(conn)
    for path in schemas:
        before = await table_columns(conn, _stem(path))
        await run_script(conn, path.read_text(encoding="utf-8"))
        if _stem(path) not in tables:
            changes.append(f"created table {_stem(path)}")
        else:
            added = [c for c in await table_columns(conn, _stem(path)) if c not in before]
            changes += [f"added column {c} to table {_stem(path)}" for c in added]
    installed = await installed_routines(conn)
    held = await routine_grants(conn, {r.name for r in wanted})
    replaced = False
    for routine in wanted:
        current = installed.get(routine.name)
        if _current(current, routine):
            continue
        await run_script(conn, routine.path.read_text(encoding="utf-8"))
        verb = "updated" if current else "created"
        changes.append(f"{verb} procedure {routine.name}")
        replaced = True
    if replaced:
        changes += await restore_grants(conn, held, {r.name for r in wanted})
    return changes


async def check(conn: Any) -> list[str]:
    """The readiness report: one line per problem; empty means ready."""
    problems: list[str] = []
    version = await server_version(conn)
    try:
        require_supported(version)
    except UnsupportedServer as exc:
        return [str(exc)]
    tables = await existing_tables(conn)
    for table in LEAD_TABLES:
        if table not in tables:
            hint = " (lead-archive db create-archive)" if table == "vicidial_list_archive" else ""
            problems.append(f"table {table} does not exist{hint}")
    for path in schema_files():
        if _stem(path) not in tables:
            problems.append(f"table {_stem(path)} does not exist (lead-archive db install)")
    installed = await installed_routines(conn)
    stale = [r.name for r in routines() if not _current(installed.get(r.name), r)]
    for name in stale:
        state = "is not at this version" if name in installed else "is not installed"
        problems.append(f"procedure {name} {state} (lead-archive db install)")
    if "lead_archive_check" not in stale and all(t in tables for t in LEAD_TABLES):
        for direction, column, problem in await query(conn, "CALL lead_archive_check()"):
            if direction != "install":  # the tables were reported above
                where = f"column {column}: " if column else ""
                problems.append(f"{direction}: {where}{problem}")
    return problems


async def load_vicidial_schema(conn: Any, engine: str = "MyISAM") -> None:
    """VICIdial's own tables (demo, tests, benchmarks; never a production server)."""
    if engine not in ("MyISAM", "InnoDB", "Aria"):
        raise ValueError(f"unsupported engine {engine!r}")
    text = read_sql("vicidial", "schema.sql")
    await run_script(conn, text.replace("ENGINE = MyISAM", f"ENGINE = {engine}"))


async def load_sample_leads(conn: Any, first_id: int, last_id: int) -> None:
    """Sample leads first_id..last_id into vicidial_list (MariaDB's Sequence engine)."""
    async with conn.cursor() as cur:
        await cur.execute(
            "SET @sample_first_id = %s, @sample_last_id = %s", (int(first_id), int(last_id))
        )
    await run_script(conn, read_sql("vicidial", "sample_leads.sql"))


async def create_archive(conn: Any) -> list[str]:
    """Create vicidial_list_archive as VICIdial documents it, when it is missing."""
    tables = await existing_tables(conn)
    if "vicidial_list_archive" in tables:
        return []
    if "vicidial_list" not in tables:
        raise UnsupportedServer("table vicidial_list does not exist in this database")
    await run_script(conn, read_sql("vicidial", "create_archive.sql"))
    return [
        "created table vicidial_list_archive (LIKE vicidial_list, lead_id without AUTO_INCREMENT)"
    ]


def _stem(path: Traversable) -> str:
    return path.name.removesuffix(".sql")


def _current(installed: tuple[str, str] | None, routine: Routine) -> bool:
    """Installed at this version? An account without SELECT on the routines sees no body
    (ROUTINE_DEFINITION is NULL): then the version comment decides."""
    if installed is None:
        return False
    body, comment = installed
    return comment == ROUTINE_COMMENT and (
        not body or body in (routine.body, mysql_definition(routine.body))
    )


# A routine body as a tokenizer sees it: comments, quoted identifiers, string literals.
_TOKENS = re.compile(
    r"--[^\n]*|#[^\n]*|/\*.*?\*/|`(?:[^`]|``)*`"
    r"|(?P<quote>['\"])(?P<text>(?:\\.|(?!(?P=quote)).|(?P=quote)(?P=quote))*)(?P=quote)",
    re.S,
)
_ESCAPES = {
    "0": "\0",
    "b": "\b",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "Z": "\x1a",
    "%": "\\%",  # LIKE's escapes keep their backslash
    "_": "\\_",
}


def mysql_definition(body: str) -> str:
    """The body as MySQL shows it in ``information_schema.ROUTINES``: every string literal
    with its escapes resolved (``'it''s'`` reads ``'it's'``), the rest as written. MariaDB
    shows the body as written."""

    def unescape(match: re.Match[str]) -> str:
        quote = match.group("quote")
        if quote is None:
            return match.group(0)
        text = re.sub(
            r"\\(.)|" + re.escape(quote * 2),
            lambda m: _ESCAPES.get(m.group(1), m.group(1)) if m.group(1) is not None else quote,
            match.group("text"),
            flags=re.S,
        )
        return quote + text + quote

    return _TOKENS.sub(unescape, body)


def parse_account(account: str) -> tuple[str, str]:
    """``gateway@10.0.0.%`` → ``('gateway', '10.0.0.%')``; the host defaults to ``%``."""
    user, _, host = account.partition("@")
    for part in (user, host or "%"):
        if not re.fullmatch(r"[A-Za-z0-9_.%-]{1,80}", part):
            raise ValueError(f"{account!r} is not USER@HOST (letters, digits, _ . % -)")
    return user, host or "%"


def grant_statements(database: str, account: str) -> list[str]:
    user, host = parse_account(account)
    schema = database.replace("`", "``")
    return [
        f"GRANT EXECUTE ON PROCEDURE `{schema}`.`{name}` TO '{user}'@'{host}'"
        for name in GATEWAY_PROCEDURES
    ]


def revoke_statements(database: str, account: str) -> list[str]:
    """What an account granted by an earlier version must lose."""
    user, host = parse_account(account)
    schema = database.replace("`", "``")
    return [
        f"REVOKE EXECUTE ON PROCEDURE `{schema}`.`{name}` FROM '{user}'@'{host}'"
        for name in NOT_FOR_GATEWAY
    ]


async def grant(conn: Any, database: str, account: str) -> list[str]:
    user, host = parse_account(account)
    rows = await query(
        conn, "SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = %s", (user, host)
    )
    if not rows or not rows[0][0]:
        raise UnsupportedServer(
            f"account '{user}'@'{host}' does not exist: CREATE USER '{user}'@'{host}' "
            "IDENTIFIED BY '…' first"
        )
    statements = grant_statements(database, account)
    held = await query(
        conn,
        "SELECT Routine_name FROM mysql.procs_priv WHERE User = %s AND Host = %s AND Db = %s"
        " AND Routine_type = 'PROCEDURE' AND FIND_IN_SET('Execute', Proc_priv)",
        (user, host, database),
    )
    held_names = {str(row[0]).lower() for row in held}
    statements += [
        statement
        for name, statement in zip(
            NOT_FOR_GATEWAY, revoke_statements(database, account), strict=True
        )
        if name in held_names
    ]
    for statement in statements:
        await query(conn, statement)
    return statements


# Held EXECUTE on one of these before an install: the gateway's account, which gets again what
# `db grant --apply` gives it (a procedure new in this version included).
GATEWAY_MARKERS = ("lead_archive_gateway_move", "lead_archive_authenticate")
REGRANT_NOTICE = (
    "notice: the replaced procedures lost their grants, and this account may not read "
    "mysql.procs_priv to give them back: run lead-archive db grant --user NAME@HOST --apply "
    "for the gateway's account (and GRANT again what other accounts held)"
)


@dataclass(frozen=True)
class RoutineGrant:
    """One row of mysql.procs_priv: an account's privileges on one procedure of this
    database (Execute, Alter Routine, Grant)."""

    user: str
    host: str
    routine: str
    privileges: frozenset[str]


async def routine_grants(conn: Any, names: set[str]) -> list[RoutineGrant] | None:
    """Who holds what on the procedures ``names`` of the current database, from
    mysql.procs_priv (MariaDB and MySQL alike; information_schema has no such view on
    MariaDB). None when this account may not read it."""
    try:
        rows = await query(
            conn,
            "SELECT User, Host, Routine_name, Proc_priv FROM mysql.procs_priv"
            " WHERE Db = DATABASE() AND Routine_type = 'PROCEDURE'",
        )
    except MySQLError as exc:
        if exc.args and exc.args[0] in DENIED_ERRNOS:
            return None
        raise
    wanted = {n.lower() for n in names}
    return [
        RoutineGrant(str(user), str(host), str(routine).lower(), _privileges(privileges))
        for user, host, routine, privileges in rows
        if str(routine).lower() in wanted and _privileges(privileges)
    ]


async def restore_grants(conn: Any, held: list[RoutineGrant] | None, names: set[str]) -> list[str]:
    """After procedures were replaced (DROP PROCEDURE drops their grants): give every account
    back what it held before on the project's procedures; a gateway account (GATEWAY_MARKERS)
    gets what ``db grant --apply`` gives (EXECUTE on GATEWAY_PROCEDURES, NOT_FOR_GATEWAY
    revoked). What this account may not do is a notice, never a failure: the procedures are
    installed."""
    if held is None:
        return [REGRANT_NOTICE]
    after = await routine_grants(conn, names)
    if after is None:
        return [REGRANT_NOTICE]
    kept = {(g.user, g.host, g.routine) for g in after}
    still = {(g.user, g.host, g.routine) for g in after if "Execute" in g.privileges}
    database = str((await query(conn, "SELECT DATABASE()"))[0][0])
    accounts: dict[tuple[str, str], list[RoutineGrant]] = {}
    for grant_row in held:
        accounts.setdefault((grant_row.user, grant_row.host), []).append(grant_row)
    statements: list[str] = []
    for (user, host), grants in accounts.items():
        executes = {g.routine for g in grants if "Execute" in g.privileges}
        gateway = any(name in executes for name in GATEWAY_MARKERS)
        dropped = [g for g in grants if (user, host, g.routine) not in kept]
        for g in dropped:
            if gateway and g.routine in NOT_FOR_GATEWAY:
                continue
            statements.append(_grant_sql(database, user, host, g.routine, g.privileges))
        if gateway:
            statements += [
                _grant_sql(database, user, host, name, frozenset({"Execute"}))
                for name in GATEWAY_PROCEDURES
                if (user, host, name) not in still and name not in executes
            ]
            statements += [
                f"REVOKE EXECUTE ON PROCEDURE {_routine_sql(database, name)}"
                f" FROM {_account_sql(user, host)}"
                for name in NOT_FOR_GATEWAY
                if (user, host, name) in still
            ]
    lines: list[str] = []
    for statement in statements:
        try:
            await query(conn, statement)
        except MySQLError as exc:
            errno = exc.args[0] if exc.args else 0
            lines.append(
                f"notice: could not run {statement} (error {errno}): run it as an account"
                " that may, or lead-archive db grant --user NAME@HOST --apply for the gateway"
            )
            continue
        lines.append(f"grant kept: {statement}")
    return lines


_PRIVILEGES = {"Execute": "EXECUTE", "Alter Routine": "ALTER ROUTINE"}


def _privileges(value: Any) -> frozenset[str]:
    """Proc_priv, a SET: a text 'Execute,Alter Routine' or already a set."""
    items = value.split(",") if isinstance(value, str) else (value or ())
    return frozenset(str(item) for item in items if str(item))


def _grant_sql(
    database: str, user: str, host: str, routine: str, privileges: frozenset[str]
) -> str:
    granted = ", ".join(sql for name, sql in _PRIVILEGES.items() if name in privileges)
    option = " WITH GRANT OPTION" if "Grant" in privileges else ""
    return (
        f"GRANT {granted or 'EXECUTE'} ON PROCEDURE {_routine_sql(database, routine)}"
        f" TO {_account_sql(user, host)}{option}"
    )


def _routine_sql(database: str, routine: str) -> str:
    return "`{}`.`{}`".format(database.replace("`", "``"), routine.replace("`", "``"))


def _account_sql(user: str, host: str) -> str:
    def quoted(text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"

    return f"{quoted(user)}@{quoted(host)}"
