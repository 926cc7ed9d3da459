"""The rules that decide each change: for every column of ``vicidial_list``, the clause that
gives the archive its definition, what that change means, and the counts over the archive that
must be 0 for it to keep every value; or why it cannot be done."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gateway.admin.installer import parse_server_version
from gateway.admin.upgrade.columns import SOURCE, TARGET, Column, ColumnType, quote_name

_INTEGER_BYTES = {"tinyint": 1, "smallint": 2, "mediumint": 3, "int": 4, "integer": 4, "bigint": 8}
_TEXT_RANK = {"tinytext": 1, "text": 2, "mediumtext": 3, "longtext": 4}
_BLOB_RANK = {"tinyblob": 1, "blob": 2, "mediumblob": 3, "longblob": 4}
_STRINGS = ("char", "varchar", "binary", "varbinary")

# Conversions that keep every value's bytes whatever the data: no query needed.
_SAME_BYTES = {
    ("utf8", "utf8mb4"),
    ("utf8mb3", "utf8mb4"),
    ("utf8", "utf8mb3"),
    ("utf8mb3", "utf8"),
}


@dataclass(frozen=True)
class Check:
    """A count over the archive that must be 0 for a change to keep every value."""

    column: str
    expression: str  # SUM(...) over the archive
    problem: str  # "{n} archived values ..." text, with {n}
    passed: str  # what a count of 0 proves


@dataclass
class Change:
    """One clause of the ALTER and what it means: ``new`` is vicidial_list's column, ``old``
    the archive's (None for a column added)."""

    new: Column
    old: Column | None
    clause: str
    notes: list[str]
    kinds: list[str]
    checks: list[Check] = field(default_factory=list)

    @property
    def column(self) -> str:
        return self.new.name

    @property
    def timestamp(self) -> bool:
        return self.new.column_type.startswith("timestamp")


def _quote_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


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


def _is_expression(column: Column, server: str) -> bool:
    """Is the column's default an expression (``current_timestamp()``) rather than a value?"""
    if parse_server_version(server)[0] == "MariaDB":
        value = column.default or ""
        return "(" in value and not value.startswith("'")
    return "default_generated" in column.extra.lower()


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
                        column,
                        None,
                        f"ADD COLUMN {quote_name(column.name)} {definition(column, server)} "
                        f"{place}",
                        [
                            f"add column {column.name} {column.column_type} {where}: "
                            f"archived rows get {_added_value(column)}"
                        ],
                        ["add"],
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
        meta.kinds.append("default_expression" if _is_expression(new, server) else "default")
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
        new,
        old,
        f"MODIFY COLUMN {quote_name(name)} {definition(new, server)}",
        [f"{name}: {'; '.join(notes)}"],
        kinds,
        [check for part in parts for check in part.checks],
    )
