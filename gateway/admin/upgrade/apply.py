"""The command: decide (reading both tables and the archive's data), print, or apply under a
write lock on the archive and compare again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asyncmy.errors import MySQLError

from gateway.admin.installer import parse_server_version
from gateway.admin.upgrade.columns import (
    SOURCE,
    TARGET,
    quote_name,
    read_columns,
    read_indexes,
    read_row_versions,
    read_table,
    rows,
    text,
)
from gateway.admin.upgrade.cost import predict
from gateway.admin.upgrade.decide import compare
from gateway.admin.upgrade.script import Plan
from gateway.errors import UnsupportedServer

# ALGORITHM=… / LOCK=… is not supported for this operation; MySQL: no instant row version left
_ALGORITHM_REFUSED = (1845, 1846, 4092)


async def _require_tables(conn: Any) -> tuple[str, str]:
    """(engine, row format) of the archive; both tables must exist."""
    if await read_table(conn, SOURCE) is None:
        raise UnsupportedServer(f"table {SOURCE} does not exist in this database")
    target_table = await read_table(conn, TARGET)
    if target_table is None:
        raise UnsupportedServer(
            f"table {TARGET} does not exist: lead-archive db create-archive makes it"
        )
    return target_table


async def plan(conn: Any) -> Plan:
    """Read both tables and the archive's data; decide; change nothing."""
    server = text((await rows(conn, "SELECT VERSION()"))[0][0])
    engine, row_format = await _require_tables(conn)
    source = await read_columns(conn, SOURCE)
    target = await read_columns(conn, TARGET)
    indexed, primary = await read_indexes(conn, TARGET)
    kind, version = parse_server_version(server)
    row_versions = 0
    if kind == "MySQL" and version >= (8, 0, 29) and engine.lower() == "innodb":
        row_versions = await read_row_versions(conn, TARGET)
    changes, cannot, left_alone = compare(source, target, server, primary)
    if engine.upper() in ("MEMORY", "BLACKHOLE", "HEAP"):
        cannot.append(
            f"{TARGET} uses ENGINE={engine}, which does not keep its rows over a restart: "
            "convert it by hand (ALTER TABLE … ENGINE=MyISAM or InnoDB)"
        )
    checks = [check for change in changes for check in change.checks]
    sums = ", ".join(check.expression for check in checks)
    counts = await rows(
        conn, f"SELECT COUNT(*){', ' + sums if sums else ''} FROM {quote_name(TARGET)}"
    )
    count = int(counts[0][0])
    checked = []
    for check, value in zip(checks, counts[0][1:], strict=True):
        found = int(value or 0)
        if found:
            cannot.append(f"column {check.column}: {check.problem.format(n=found)}")
        else:
            checked.append(f"column {check.column}: {check.passed}")
    return Plan(
        server=server,
        engine=engine,
        row_format=row_format,
        rows=count,
        changes=changes,
        cannot=cannot,
        left_alone=left_alone,
        cost=predict(server, engine, row_format, changes, indexed, row_versions),
        checked=checked,
    )


@dataclass
class Outcome:
    lines: list[str]
    exit_code: int
    applied: bool = False
    rows_copied: int = 0


async def run(conn: Any, *, apply: bool = False) -> Outcome:
    """Without ``apply``: the script and 0 (1 when something cannot be done safely). With it:
    the same decided under a write lock on the archive (no row can arrive between the checks
    and the ALTER), the ALTER run, and the archive compared again."""
    if not apply:
        found = await plan(conn)
        return Outcome(found.lines(), 1 if found.cannot else 0)
    await _require_tables(conn)  # named before any lock is taken
    await rows(conn, f"LOCK TABLES {quote_name(TARGET)} WRITE")
    try:
        found = await plan(conn)
        lines = found.lines()
        if found.cannot:
            return Outcome(lines, 1)
        if not found.changes:
            return Outcome(lines, 0)
        copied = 0
        try:
            for statement in found.statements:
                copied = await _affected(conn, statement)
        except MySQLError as exc:
            if exc.args[0] not in _ALGORITHM_REFUSED:
                raise
            lines.append(
                f"-- the server refused ALGORITHM={found.cost.clause}: nothing changed. Without "
                f"that clause it chooses its own way, which may copy the table ({found.rows} "
                "rows): run the ALTER above without its ALGORITHM clause to accept that"
            )
            return Outcome(lines, 1)
    finally:
        await rows(conn, "UNLOCK TABLES")
    after = await plan(conn)
    if after.changes or after.cannot:
        lines.append(f"-- applied, but {TARGET} still differs from {SOURCE}:")
        lines.extend(after.lines())
        return Outcome(lines, 1, applied=True, rows_copied=copied)
    lines.append(f"-- applied: {TARGET} has {SOURCE}'s column definitions ({copied} rows copied)")
    return Outcome(lines, 0, applied=True, rows_copied=copied)


async def _affected(conn: Any, statement: str) -> int:
    async with conn.cursor() as cur:
        affected = await cur.execute(statement)
        while await cur.nextset():
            pass
    return int(affected or 0)
