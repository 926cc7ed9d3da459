"""``lead-archive db upgrade-archive``: bring ``vicidial_list_archive`` to ``vicidial_list``'s
column definitions without losing an archived value.

VICIdial's upgrades alter ``vicidial_list`` and never its archive, so an upgraded server's
archive lacks columns (``rank``, ``owner``, ``entry_list_id``), ENUM members (``'D'``) or has
narrower types, and the procedures refuse it with ``schema_mismatch``. This module reads both
column lists from ``information_schema.COLUMNS``, decides for every difference whether it can be
changed without changing a stored value, checks the data where that depends on it (NULLs,
negative numbers, bytes a character set conversion would change) with one query over the
archive, and writes one ``ALTER TABLE`` for the DBA to review (or runs it with ``--apply``).

What "matches" is what ``lead_archive_guard`` checks in both directions (same ``COLUMN_TYPE``,
character set and nullability, ``lead_id`` the primary key); the statement goes further and
gives each column ``vicidial_list``'s whole definition (collation, default, ``ON UPDATE``),
``lead_id`` always without ``AUTO_INCREMENT``.

It never drops a column or an ENUM/SET member and never narrows a type: what it cannot do
safely it names, and then it prints nothing to run and changes nothing. Columns only in the
archive are left alone.

The statement carries the ``ALGORITHM`` the server is expected to use when that is cheaper than
a table copy, so that the server refuses (changing nothing) rather than copies a table the DBA
was told would not be copied.

Like ``gateway.admin.installer``, this module is the database adapter of a command line tool: the
statements it sends read ``information_schema`` and the archive, and the DDL it generates is
printed for the DBA to review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from asyncmy.errors import MySQLError

from gateway.admin.installer import parse_server_version
from gateway.db import execute_all
from gateway.errors import UnsupportedServer

SOURCE = "vicidial_list"
TARGET = "vicidial_list_archive"
SESSION_SQL_MODE = "STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION"

# ALGORITHM levels, cheapest first. An ALTER runs at the level of its most expensive change.
INSTANT, NOCOPY, INPLACE, COPY = 0, 1, 2, 3
ALGORITHMS = ("INSTANT", "NOCOPY", "INPLACE", "COPY")
_ALGORITHM_REFUSED = (1845, 1846)  # ALGORITHM=… / LOCK=… is not supported for this operation

_INTEGER_BYTES = {"tinyint": 1, "smallint": 2, "mediumint": 3, "int": 4, "integer": 4, "bigint": 8}
_TEXT_RANK = {"tinytext": 1, "text": 2, "mediumtext": 3, "longtext": 4}
_BLOB_RANK = {"tinyblob": 1, "blob": 2, "mediumblob": 3, "longblob": 4}
_STRINGS = ("char", "varchar", "binary", "varbinary")
# Bytes per character, for the VARCHAR length prefix rule of InnoDB's instant widening.
_MBMAXLEN = {
    "ascii": 1,
    "latin1": 1,
    "latin2": 1,
    "binary": 1,
    "ucs2": 2,
    "utf8": 3,
    "utf8mb3": 3,
    "utf8mb4": 4,
    "utf16": 4,
    "utf16le": 4,
    "utf32": 4,
}
# Conversions that keep every value's bytes whatever the data: no query needed.
_SAME_BYTES = {
    ("utf8", "utf8mb4"),
    ("utf8mb3", "utf8mb4"),
    ("utf8", "utf8mb3"),
    ("utf8mb3", "utf8"),
}


@dataclass(frozen=True)
class Column:
    """One row of information_schema.COLUMNS."""

    name: str
    position: int
    column_type: str
    charset: str | None
    collation: str | None
    nullable: bool
    default: str | None  # COLUMN_DEFAULT as the server shows it
    extra: str

    @property
    def auto_increment(self) -> bool:
        return "auto_increment" in self.extra.lower()

    @property
    def on_update(self) -> str | None:
        match = re.search(r"(?i)\bon update (\S+)", self.extra)
        return match.group(1) if match else None

    @property
    def unsupported_extra(self) -> str | None:
        """Generated or invisible columns: their definitions are not copied."""
        rest = re.sub(r"(?i)on update \S+|auto_increment|default_generated", "", self.extra)
        return rest.strip() or None


@dataclass(frozen=True)
class ColumnType:
    """A parsed COLUMN_TYPE: ``int(9) unsigned``, ``enum('Y','N')``, ``decimal(4,2)``."""

    text: str
    base: str
    args: str | None
    unsigned: bool
    zerofill: bool
    parsed: bool

    @classmethod
    def parse(cls, text: str) -> ColumnType:
        match = re.fullmatch(r"(?s)([a-z]+)(?:\((.*)\))?((?: (?:unsigned|zerofill|signed))*)", text)
        if not match:
            return cls(text, text, None, False, False, parsed=False)
        attrs = match.group(3).split()
        return cls(
            text, match.group(1), match.group(2), "unsigned" in attrs, "zerofill" in attrs, True
        )

    @property
    def members(self) -> list[str]:
        """ENUM/SET members as written in COLUMN_TYPE (quoted, compared byte for byte)."""
        return re.findall(r"'(?:[^'\\]|''|\\.)*'", self.args or "")

    def numbers(self) -> list[int]:
        return [int(n) for n in re.findall(r"\d+", self.args or "")]


@dataclass(frozen=True)
class Check:
    """A count over the archive that must be 0 for a change to keep every value."""

    column: str
    expression: str  # SUM(...) over the archive
    problem: str  # "{n} archived values ..." text, with {n}
    passed: str  # what a count of 0 proves


@dataclass
class Change:
    """One clause of the ALTER and what it means."""

    column: str
    clause: str
    notes: list[str]
    kinds: list[str]
    checks: list[Check] = field(default_factory=list)
    timestamp: bool = False


@dataclass
class Plan:
    server: str
    engine: str
    row_format: str
    rows: int
    changes: list[Change]
    cannot: list[str]
    left_alone: list[str]
    algorithm: int
    checked: list[str] = field(default_factory=list)

    @property
    def statements(self) -> list[str]:
        if not self.changes or self.cannot:
            return []
        out = [f"SET SESSION sql_mode = '{SESSION_SQL_MODE}'"]
        if any(c.timestamp for c in self.changes):
            out.append("SET SESSION explicit_defaults_for_timestamp = ON")
        clauses = ", ".join(c.clause for c in self.changes)
        if self.algorithm < COPY:
            clauses += f", ALGORITHM = {ALGORITHMS[self.algorithm]}"
        out.append(f"ALTER TABLE {quote_name(TARGET)} {clauses}")
        return out

    def lines(self) -> list[str]:
        """The script: comments (``-- ``) and statements, one per line, each ending in ';'."""
        out = [f"-- {TARGET}: ENGINE={self.engine}, {self.rows} rows (server {self.server})"]
        for name in self.left_alone:
            out.append(
                f"-- left alone: column {_safe(name)} exists only in {TARGET} (archiving works; "
                f"db check reports it for the way back, dearchive)"
            )
        if self.cannot:
            out.extend(f"-- cannot: {_safe(line)}" for line in self.cannot)
            out.append(
                "-- nothing to run: upgrade-archive never drops a column or a member, never "
                "narrows a type and never changes an archived value"
            )
            if self.changes:
                out.append("-- the other differences, which it would change:")
                for change in self.changes:
                    out.extend(f"--   {_safe(note)}" for note in change.notes)
            return out
        if not self.changes:
            out.append(f"-- nothing to do: {TARGET} has {SOURCE}'s column definitions")
            return out
        for change in self.changes:
            out.extend(f"-- {_safe(note)}" for note in change.notes)
        out.extend(f"-- checked: {_safe(line)}" for line in self.checked)
        out.append(f"-- {self.cost()}")
        out.extend(statement + ";" for statement in self.statements)
        return out

    def cost(self) -> str:
        name = ALGORITHMS[self.algorithm]
        if self.algorithm == INSTANT:
            return f"ALGORITHM={name}: metadata only, no row rewritten"
        if self.algorithm == NOCOPY:
            return f"ALGORITHM={name}: no row rewritten; indexes of the changed columns rebuilt"
        if self.algorithm == INPLACE:
            return (
                f"ALGORITHM={name}: InnoDB rebuilds the table in place, {self.rows} rows rewritten"
            )
        guess = "" if self.server_is_mariadb else " (not predicted on this server: assumed)"
        return (
            f"ALGORITHM={name}: the server copies the table, {self.rows} rows rewritten; writes "
            f"to {TARGET} wait until it ends{guess}"
        )

    @property
    def server_is_mariadb(self) -> bool:
        return "mariadb" in self.server.lower()


def quote_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _safe(text: str) -> str:
    """One comment line: no line break can end the comment early."""
    return re.sub(r"[\r\n\x00-\x1f]", " ", text)


def _quote_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------
# Reading the server


async def _rows(conn: Any, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
    sets = await execute_all(conn, sql, args)
    return sets[-1] if sets else []


async def read_columns(conn: Any, table: str) -> list[Column]:
    rows = await _rows(
        conn,
        "SELECT COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME,"
        " IS_NULLABLE, COLUMN_DEFAULT, EXTRA FROM information_schema.COLUMNS"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
        (table,),
    )
    return [
        Column(
            name=str(r[0]),
            position=int(r[1]),
            column_type=_text(r[2]),
            charset=None if r[3] is None else _text(r[3]),
            collation=None if r[4] is None else _text(r[4]),
            nullable=_text(r[5]) == "YES",
            default=None if r[6] is None else _text(r[6]),
            extra=_text(r[7] or ""),
        )
        for r in rows
    ]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes | bytearray) else str(value)


async def _table(conn: Any, table: str) -> tuple[str, str] | None:
    rows = await _rows(
        conn,
        "SELECT ENGINE, ROW_FORMAT FROM information_schema.TABLES"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
        (table,),
    )
    if not rows:
        return None
    return _text(rows[0][0] or ""), _text(rows[0][1] or "")


async def _indexed(conn: Any, table: str) -> tuple[set[str], set[str]]:
    """(columns of any index, columns of the primary key)."""
    rows = await _rows(
        conn,
        "SELECT COLUMN_NAME, INDEX_NAME FROM information_schema.STATISTICS"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
        (table,),
    )
    return {str(r[0]) for r in rows}, {str(r[0]) for r in rows if str(r[1]) == "PRIMARY"}


# ---------------------------------------------------------------------------------------------
# Comparing


def definition(column: Column, server: str) -> str:
    """``vicidial_list``'s definition of a column, as ADD/MODIFY COLUMN takes it: type,
    character set and collation, NULL, default, ON UPDATE; never AUTO_INCREMENT."""
    parts = [column.column_type]
    if column.charset is not None:
        parts.append(f"CHARACTER SET {column.charset}")
    if column.collation is not None:
        parts.append(f"COLLATE {column.collation}")
    parts.append("NULL" if column.nullable else "NOT NULL")
    default = _default_clause(column, server)
    if default:
        parts.append(default)
    if column.on_update:
        parts.append(f"ON UPDATE {column.on_update}")
    return " ".join(parts)


def _default_clause(column: Column, server: str) -> str:
    kind, _ = parse_server_version(server)
    value = column.default
    if kind == "MariaDB":
        # MariaDB (10.2.7+) shows the default as an expression: 'N', 0, NULL, current_timestamp().
        if value is None:
            return ""
        return f"DEFAULT {value}"
    # MySQL shows the value itself, expressions flagged DEFAULT_GENERATED in EXTRA.
    if value is None:
        return "DEFAULT NULL" if column.nullable else ""
    if "default_generated" in column.extra.lower():
        if re.fullmatch(r"(?i)current_timestamp(\(\d*\))?", value):
            return f"DEFAULT {value}"
        return f"DEFAULT ({value})"
    return f"DEFAULT {_quote_literal(value)}"


@dataclass
class _Transition:
    kinds: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    cannot: list[str] = field(default_factory=list)


def _type_transition(name: str, old: ColumnType, new: ColumnType) -> _Transition:
    """May a column of type ``old`` (the archive's) become ``new`` (vicidial_list's) with every
    stored value unchanged?"""
    out = _Transition()
    quoted = quote_name(name)
    if old.text == new.text:
        return out
    change = f"{old.text} -> {new.text}"
    narrow = (
        f"column {name}: {SOURCE} has {new.text}, {TARGET} has {old.text}: "
        "upgrade-archive never narrows a column"
    )
    if not (old.parsed and new.parsed):
        out.cannot.append(f"column {name}: no safe conversion known from {change}")
        return out
    if old.base in _INTEGER_BYTES and new.base in _INTEGER_BYTES:
        if old.zerofill != new.zerofill:
            out.cannot.append(f"column {name}: ZEROFILL differs ({change}); not changed")
            return out
        old_bytes, new_bytes = _INTEGER_BYTES[old.base], _INTEGER_BYTES[new.base]
        if old_bytes == new_bytes and old.unsigned == new.unsigned:
            out.kinds.append("display_width")
            out.notes.append(f"{change} (display width only)")
            return out
        if new_bytes < old_bytes:
            out.cannot.append(narrow)
            return out
        out.kinds.append("type")
        out.notes.append(f"{change} (wider)")
        if old.unsigned and not new.unsigned and new_bytes == old_bytes:
            top = 2 ** (8 * new_bytes - 1) - 1
            out.checks.append(
                Check(
                    name,
                    f"SUM({quoted} > {top})",
                    f"{{n}} archived values are above {top}",
                    f"no archived value is above {top}",
                )
            )
        if not old.unsigned and new.unsigned:
            out.checks.append(_no_negative(name))
        return out
    if old.base == new.base == "decimal":
        (p1, s1), (p2, s2) = _precision(old), _precision(new)
        if s1 != s2:
            out.cannot.append(
                f"column {name}: {change} changes the scale, so every value would read "
                "differently; not changed"
            )
            return out
        if p2 < p1:
            out.cannot.append(narrow)
            return out
        out.kinds.append("type")
        out.notes.append(f"{change} (wider)")
        if not old.unsigned and new.unsigned:
            out.checks.append(_no_negative(name))
        return out
    if old.base == new.base and old.base in _STRINGS:
        n1, n2 = old.numbers()[0], new.numbers()[0]
        if n2 < n1:
            out.cannot.append(narrow)
            return out
        if old.base == "binary":
            out.cannot.append(f"column {name}: {change} would pad every value with zero bytes")
            return out
        out.kinds.append(f"{old.base}_widen:{n1}:{n2}")
        out.notes.append(f"{change} (wider)")
        return out
    for ranks in (_TEXT_RANK, _BLOB_RANK):
        if old.base in ranks and new.base in ranks:
            if ranks[new.base] < ranks[old.base]:
                out.cannot.append(narrow)
                return out
            out.kinds.append("type")
            out.notes.append(f"{change} (wider)")
            return out
    if old.base == new.base and old.base in ("enum", "set"):
        before, after = old.members, new.members
        dropped = [m for m in before if m not in after]
        if dropped:
            out.cannot.append(
                f"column {name}: {TARGET} has {old.base.upper()} member(s) "
                f"{', '.join(dropped)} that {SOURCE} lacks: upgrade-archive never drops a member"
            )
            return out
        if after[: len(before)] != before:
            out.cannot.append(
                f"column {name}: {SOURCE}'s {old.base.upper()} members are not {TARGET}'s "
                "followed by new ones (same order), so stored values would change; not changed"
            )
            return out
        added = ", ".join(after[len(before) :])
        out.notes.append(f"add {old.base.upper()} member(s) {added}")
        same_size = (
            (len(before) <= 255) == (len(after) <= 255)
            if old.base == "enum"
            else _set_bytes(len(before)) == _set_bytes(len(after))
        )
        out.kinds.append(f"{old.base}_append" if same_size else "type")
        return out
    out.cannot.append(f"column {name}: no safe conversion known from {change}")
    return out


def _precision(decimal: ColumnType) -> tuple[int, int]:
    """``decimal(4,2)`` → (4, 2); ``decimal(5)`` → (5, 0); ``decimal`` → (10, 0)."""
    numbers = decimal.numbers()
    return (numbers[0] if numbers else 10, numbers[1] if len(numbers) > 1 else 0)


def _no_negative(name: str) -> Check:
    return Check(
        name,
        f"SUM({quote_name(name)} < 0)",
        "{n} archived values are negative",
        "no archived value is negative",
    )


def _set_bytes(members: int) -> int:
    size = (members + 7) // 8
    return 8 if size > 4 else size


def _charset_transition(name: str, old: Column, new: Column) -> _Transition:
    out = _Transition()
    if old.charset == new.charset:
        if old.collation != new.collation:
            out.kinds.append("collation")
            out.notes.append(f"collation {old.collation} -> {new.collation}")
        return out
    if old.charset is None or new.charset is None:
        out.cannot.append(
            f"column {name}: character set {old.charset or 'none'} -> {new.charset or 'none'}: "
            "no safe conversion known"
        )
        return out
    if not re.fullmatch(r"\w+", new.charset):
        out.cannot.append(f"column {name}: unknown character set {new.charset!r}")
        return out
    out.kinds.append(f"charset:{old.charset}:{new.charset}")
    out.notes.append(f"character set {old.charset} -> {new.charset}")
    if (old.charset, new.charset) not in _SAME_BYTES and old.charset != "ascii":
        quoted = quote_name(name)
        out.checks.append(
            Check(
                name,
                f"SUM(CAST({quoted} AS BINARY) <> CAST(CONVERT({quoted} USING {new.charset})"
                " AS BINARY))",
                f"{{n}} archived values would change bytes from {old.charset} to {new.charset}",
                f"every archived value keeps its bytes in {new.charset}",
            )
        )
    return out


def _nullability(name: str, old: Column, new: Column) -> _Transition:
    out = _Transition()
    if old.nullable == new.nullable:
        return out
    if new.nullable:
        out.kinds.append("null")
        out.notes.append("NOT NULL -> NULL")
        return out
    out.kinds.append("not_null")
    out.notes.append("NULL -> NOT NULL")
    becomes = "the current time" if old.column_type.startswith("timestamp") else "a default"
    out.checks.append(
        Check(
            name,
            f"SUM({quote_name(name)} IS NULL)",
            f"{{n}} archived values are NULL and {SOURCE} has it NOT NULL (they would "
            f"become {becomes})",
            "no archived value is NULL",
        )
    )
    return out


def compare(
    source: list[Column], target: list[Column], server: str, primary: set[str]
) -> tuple[list[Change], list[str], list[str]]:
    """(changes, what cannot be done, archive-only columns) for the archive ``target``, whose
    primary key is on the columns ``primary``."""
    archived = {c.name: c for c in target}
    known = {c.name for c in source}
    changes: list[Change] = []
    cannot: list[str] = []
    previous: str | None = None
    for column in source:
        old = archived.get(column.name)
        if column.unsupported_extra and old is None:
            cannot.append(
                f"column {column.name}: {column.unsupported_extra} columns are not handled"
            )
        elif old is None:
            if column.name == "lead_id":
                cannot.append(f"column lead_id: missing from {TARGET}")
            else:
                place = f"AFTER {quote_name(previous)}" if previous else "FIRST"
                where = f"after {previous}" if previous else "first"
                changes.append(
                    Change(
                        column.name,
                        f"ADD COLUMN {quote_name(column.name)} {definition(column, server)} "
                        f"{place}",
                        [
                            f"add column {column.name} {column.column_type} {where}: "
                            f"archived rows get {_added_value(column)}"
                        ],
                        ["add"],
                        timestamp=column.column_type.startswith("timestamp"),
                    )
                )
        else:
            change = _modify(column, old, server)
            if change is not None:
                if isinstance(change, list):
                    cannot.extend(change)
                else:
                    changes.append(change)
            if column.name == "lead_id" and "lead_id" not in primary:
                cannot.append(
                    f"column lead_id: not the primary key of {TARGET}; add it by hand after "
                    "checking that no lead_id is archived twice"
                )
        previous = column.name
    left_alone = [c.name for c in target if c.name not in known]
    return changes, cannot, left_alone


def _added_value(column: Column) -> str:
    """What the rows already archived get in an added column, in words."""
    if column.default is None:
        return "the implicit default of a NOT NULL column without DEFAULT ('' or 0)"
    if column.default == "NULL":
        return "NULL"
    return f"its default {column.default}"


def _modify(new: Column, old: Column, server: str) -> Change | list[str] | None:
    """The MODIFY clause turning the archive's ``old`` into ``new``, or what forbids it."""
    name = new.name
    parts = [
        _type_transition(
            name, ColumnType.parse(old.column_type), ColumnType.parse(new.column_type)
        ),
        _charset_transition(name, old, new),
        _nullability(name, old, new),
    ]
    meta = _Transition()
    if old.default != new.default:
        meta.kinds.append("default_expression" if "(" in (new.default or "") else "default")
        meta.notes.append(f"default {old.default} -> {new.default}")
    if old.on_update != new.on_update:
        meta.kinds.append("on_update")
        meta.notes.append(f"ON UPDATE {old.on_update or 'none'} -> {new.on_update or 'none'}")
    if old.auto_increment:
        meta.kinds.append("drop_auto_increment")
        meta.notes.append(f"no AUTO_INCREMENT on {TARGET}")
    parts.append(meta)
    cannot = [line for part in parts for line in part.cannot]
    kinds = [kind for part in parts for kind in part.kinds]
    unsupported = old.unsupported_extra or new.unsupported_extra
    if unsupported and (kinds or cannot or old.extra != new.extra):
        return [f"column {name}: {unsupported} columns are not handled"]
    if cannot:
        return cannot
    if not kinds:
        return None
    notes = [note for part in parts for note in part.notes]
    return Change(
        name,
        f"MODIFY COLUMN {quote_name(name)} {definition(new, server)}",
        [f"{name}: {'; '.join(notes)}"],
        kinds,
        [check for part in parts for check in part.checks],
        timestamp=new.column_type.startswith("timestamp"),
    )


# ---------------------------------------------------------------------------------------------
# What the server will do


def predict(
    server: str, engine: str, row_format: str, changes: list[Change], indexed: set[str]
) -> int:
    """The cheapest ALGORITHM the server is expected to accept for all ``changes`` at once.

    Measured on MariaDB 10.5, 10.11 and 11.8, MyISAM and InnoDB (tests/test_upgrade_archive.py
    checks every fixture and one drift of each kind: the server accepts the prediction and
    refuses the next cheaper ALGORITHM). MariaDB 10.4-10.10 follow the InnoDB rules of 10.5;
    InnoDB before 10.4, compressed rows and MySQL are predicted to copy. Where a prediction is
    too cheap the server refuses the statement, which then changes nothing.
    """
    kind, version = parse_server_version(server)
    if not changes:
        return INSTANT
    if kind != "MariaDB":
        return COPY
    levels = [
        _level(k, c, engine.lower(), row_format.lower(), version, indexed)
        for c in changes
        for k in c.kinds
    ]
    return max(levels)


def _level(
    kind: str,
    change: Change,
    engine: str,
    row_format: str,
    version: tuple[int, ...],
    indexed: set[str],
) -> int:
    if kind in ("default", "on_update", "drop_auto_increment", "display_width"):
        return INSTANT
    if kind in ("enum_append", "set_append"):
        return INSTANT
    if engine != "innodb" or version[:2] < (10, 4) or row_format == "compressed":
        return COPY
    if kind in ("add", "default_expression"):
        return INSTANT
    if kind == "null":
        return INPLACE
    if kind == "not_null":
        # Observed: NOT NULL with a default that becomes an expression (a bare TIMESTAMP made
        # with explicit_defaults_for_timestamp ON) copies; otherwise InnoDB rebuilds in place.
        return COPY if "default_expression" in change.kinds else INPLACE
    if kind == "collation":
        if change.column not in indexed:
            return INSTANT
        return NOCOPY if version[:2] >= (10, 11) else COPY
    if kind.startswith("charset:"):
        _, old, new = kind.split(":")
        utf8mb3 = ("utf8", "utf8mb3")
        if old in utf8mb3 and new == "utf8mb4" and change.column not in indexed:
            return INSTANT
        return COPY
    if kind.startswith("varchar_widen:") or kind.startswith("varbinary_widen:"):
        _, old_len, new_len = kind.split(":")
        if row_format == "redundant":
            return INSTANT
        per_char = _charset_bytes(change)
        small_before = int(old_len) * per_char <= 255
        small_after = int(new_len) * per_char <= 255
        return INSTANT if small_before == small_after else COPY
    return COPY


def _charset_bytes(change: Change) -> int:
    match = re.search(r"CHARACTER SET (\w+)", change.clause)
    return _MBMAXLEN.get(match.group(1).lower(), 4) if match else 1


# ---------------------------------------------------------------------------------------------
# The command


async def _require_tables(conn: Any) -> tuple[str, str]:
    """(engine, row format) of the archive; both tables must exist."""
    if await _table(conn, SOURCE) is None:
        raise UnsupportedServer(f"table {SOURCE} does not exist in this database")
    target_table = await _table(conn, TARGET)
    if target_table is None:
        raise UnsupportedServer(
            f"table {TARGET} does not exist: lead-archive db create-archive makes it"
        )
    return target_table


async def plan(conn: Any) -> Plan:
    """Read both tables and the archive's data; decide; change nothing."""
    server = _text((await _rows(conn, "SELECT VERSION()"))[0][0])
    engine, row_format = await _require_tables(conn)
    source = await read_columns(conn, SOURCE)
    target = await read_columns(conn, TARGET)
    indexed, primary = await _indexed(conn, TARGET)
    changes, cannot, left_alone = compare(source, target, server, primary)
    if engine.upper() in ("MEMORY", "BLACKHOLE", "HEAP"):
        cannot.append(
            f"{TARGET} uses ENGINE={engine}, which does not keep its rows over a restart: "
            "convert it by hand (ALTER TABLE … ENGINE=MyISAM or InnoDB)"
        )
    checks = [check for change in changes for check in change.checks]
    sums = ", ".join(check.expression for check in checks)
    counts = await _rows(
        conn, f"SELECT COUNT(*){', ' + sums if sums else ''} FROM {quote_name(TARGET)}"
    )
    rows = int(counts[0][0])
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
        rows=rows,
        changes=changes,
        cannot=cannot,
        left_alone=left_alone,
        algorithm=predict(server, engine, row_format, changes, indexed),
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
    await _rows(conn, f"LOCK TABLES {quote_name(TARGET)} WRITE")
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
                f"-- the server refused ALGORITHM={ALGORITHMS[found.algorithm]}: nothing "
                f"changed. Without that clause it would copy the table ({found.rows} rows): "
                "run the ALTER above without its ALGORITHM clause to accept that"
            )
            return Outcome(lines, 1)
    finally:
        await _rows(conn, "UNLOCK TABLES")
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
