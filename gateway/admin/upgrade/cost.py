"""What the server will do: the cheapest ALGORITHM it accepts for the changes, per server flavour
and version, and what that costs.

Costs, cheapest first (an ALTER costs what its most expensive change costs):

- ``INSTANT``: the definition only, no row rewritten.
- ``NOCOPY``: no row rewritten and the table not rebuilt, but more than the definition changes
  (MariaDB's ``ALGORITHM=NOCOPY`` rebuilds the indexes of the changed columns; MySQL has no
  NOCOPY and names it ``ALGORITHM=INPLACE``, as for a VARCHAR widened in place).
- ``INPLACE``: InnoDB rebuilds the table in place, every row rewritten.
- ``COPY``: the server copies the table.

The rules were measured on MariaDB 10.5, 10.11 and 11.8 and MySQL 9.7, MyISAM and InnoDB (the
InnoDB ones on each row format): tests/test_upgrade_archive.py checks every fixture and one drift
of each kind, the server accepting the prediction and refusing the next cheaper ALGORITHM, and
InnoDB rebuilding the table exactly when rows are said to be rewritten. MariaDB 10.4-10.10 are
expected to follow 10.5, and MySQL 8.0.29 and later 9.7 (MySQL's documentation describes these
operations alike from 8.0.29: ADD COLUMN instant at any position, ENUM/SET members appended and
defaults instant, VARCHAR widened in place, NULL/NOT NULL by a rebuild in place). Where no rule
is known (InnoDB before MariaDB 10.4, MySQL before 8.0.12, adding a column on MySQL before
8.0.29) the prediction is a copy, assumed: the statement then names no ALGORITHM and the server
chooses. Where a prediction is too cheap the server refuses the statement, which then changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.admin.installer import parse_server_version
from gateway.admin.upgrade.columns import Column, ColumnType
from gateway.admin.upgrade.decide import Change

INSTANT, NOCOPY, INPLACE, COPY = 0, 1, 2, 3
ALGORITHMS = ("INSTANT", "NOCOPY", "INPLACE", "COPY")  # the costs' names, as MariaDB's clauses
ASSUMED = "assumed: no rule known for this server version, which may choose a cheaper way"

# Changes of the definition only, and what the server takes instantly on every engine.
_METADATA = {"default", "default_expression", "on_update", "display_width"}
_APPEND = {"enum_append", "set_append"}
_UTF8MB3 = ("utf8", "utf8mb3")
# Bytes per character, for the length prefix of a VARCHAR (1 byte up to 255 bytes, then 2).
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


@dataclass(frozen=True)
class Cost:
    """The prediction: its cost level, the ALGORITHM the statement names (None: none, the
    server chooses) and, when the level is assumed or the clause forced, why."""

    level: int
    clause: str | None
    note: str = ""


def algorithms(server: str) -> tuple[str, ...]:
    """The ALGORITHM values the server takes, cheapest first."""
    if parse_server_version(server)[0] == "MariaDB":
        return ALGORITHMS
    return ("INSTANT", "INPLACE", "COPY")


def max_row_versions(version: tuple[int, ...]) -> int:
    """MySQL InnoDB: instant ADD/DROP COLUMN statements a table takes before it must be
    rebuilt (each is one row version); 64 before 9.1."""
    return 255 if version >= (9, 1) else 64


def predict(
    server: str,
    engine: str,
    row_format: str,
    changes: list[Change],
    indexed: set[str],
    row_versions: int = 0,
) -> Cost:
    """The cheapest ALGORITHM the server is expected to accept for all ``changes`` at once, on
    an archive of ``engine`` and ``row_format`` whose indexes cover the columns ``indexed``
    (``row_versions``: MySQL InnoDB's count of instant ADD/DROP COLUMN so far)."""
    if not changes:
        return Cost(INSTANT, "INSTANT")
    kind_of_server, version = parse_server_version(server)
    mariadb = kind_of_server == "MariaDB"
    engine, row_format = engine.lower(), row_format.lower()
    forced = [] if mariadb else [c.column for c in changes if _breaks_myisam(c, engine, indexed)]
    if forced:
        return Cost(
            COPY,
            "COPY",
            f"named: MySQL changes the character set or collation of an indexed ENUM/SET "
            f"column ({', '.join(forced)}) of a MyISAM table in place and leaves the table "
            "unreadable",
        )
    others: list[int] = []
    adds: list[int] = []
    for change in changes:
        for kind in change.kinds:
            if mariadb:
                found = _mariadb(kind, change, engine, row_format, version, indexed)
            else:
                found = _mysql(kind, change, engine, row_format, version, indexed, row_versions)
            if found is None:
                return Cost(COPY, None, ASSUMED)
            (adds if kind == "add" else others).append(found)
    level = max(others, default=INSTANT)
    if adds:
        # Added columns are instant only in a statement that is instant as a whole; with a
        # change done in place they rebuild the table.
        added = max(adds)
        level = max(level, added, INPLACE if level in (NOCOPY, INPLACE) else INSTANT)
    if level == COPY:
        return Cost(COPY, None)
    most = max_row_versions(version)
    if adds and not mariadb and engine == "innodb" and row_versions >= most:
        note = (
            f"{row_versions} instant ADD/DROP COLUMN since the last rebuild, the most MySQL allows"
        )
        return Cost(level, clause(server, level), note)
    return Cost(level, clause(server, level))


def clause(server: str, level: int) -> str:
    """The ALGORITHM that asks for ``level`` on this server."""
    if parse_server_version(server)[0] == "MariaDB" or level in (INSTANT, COPY):
        return ALGORITHMS[level]
    return "INPLACE"


def _mariadb(
    kind: str,
    change: Change,
    engine: str,
    row_format: str,
    version: tuple[int, ...],
    indexed: set[str],
) -> int | None:
    if kind in _METADATA or kind in _APPEND or kind == "drop_auto_increment":
        return INSTANT
    if engine != "innodb":
        return COPY
    if version[:2] < (10, 4):
        return None
    new, old = change.new, change.old
    redundant = row_format == "redundant"
    key = change.column in indexed
    if kind == "add":
        return INPLACE if row_format == "compressed" else INSTANT
    if kind == "null":
        return INSTANT if redundant else INPLACE
    if kind == "not_null":
        # NOT NULL with a default that becomes an expression (a bare TIMESTAMP made with
        # explicit_defaults_for_timestamp ON) copies; otherwise InnoDB rebuilds in place.
        return COPY if "default_expression" in change.kinds else INPLACE
    if _enum_or_set(new) and (kind == "collation" or kind.startswith("charset:")):
        return COPY
    if kind == "collation":
        if not key:
            return INSTANT
        return NOCOPY if version[:2] >= (10, 11) else COPY
    if kind.startswith("charset:"):
        if not _utf8mb3_to_utf8mb4(kind) or (not redundant and not _same_prefix(old, new)):
            return COPY
        if not key:
            return INSTANT
        if version[:2] < (10, 11):
            return COPY
        return INSTANT if _same_collation_rules(old, new) else NOCOPY
    if kind.startswith(("varchar_widen:", "varbinary_widen:")):
        return INSTANT if redundant or _same_prefix(old, new) else COPY
    return COPY


def _mysql(
    kind: str,
    change: Change,
    engine: str,
    row_format: str,
    version: tuple[int, ...],
    indexed: set[str],
    row_versions: int,
) -> int | None:
    if version < (8, 0, 12):
        return None  # no ALGORITHM=INSTANT
    new, old = change.new, change.old
    if kind in _METADATA or kind in _APPEND:
        return INSTANT
    if _enum_or_set(new) and (kind == "collation" or kind.startswith("charset:")):
        return INSTANT  # the members' names only (MyISAM with an index: see _breaks_myisam)
    if engine != "innodb":
        return COPY
    key = change.column in indexed
    if kind == "add":
        if version < (8, 0, 29):
            return None  # instant only as the last column
        full = row_versions >= max_row_versions(version)
        return INPLACE if row_format == "compressed" or full else INSTANT
    if kind in ("null", "not_null"):
        return INPLACE
    if kind == "collation":
        return COPY if key else NOCOPY
    if kind.startswith("charset:"):
        same = _utf8mb3_to_utf8mb4(kind) and _same_prefix(old, new)
        return NOCOPY if same and not key else COPY
    if kind.startswith(("varchar_widen:", "varbinary_widen:")):
        return NOCOPY if _same_prefix(old, new) else COPY
    return COPY  # other types, CHAR/BINARY widened, AUTO_INCREMENT dropped


def _breaks_myisam(change: Change, engine: str, indexed: set[str]) -> bool:
    """MySQL (9.7 here) takes the character set or collation of an indexed ENUM/SET column of
    a MyISAM table as a change of the definition only, and the table's index file then no
    longer matches it: every read fails with 'Incorrect key file' and REPAIR TABLE does not
    mend it. ALGORITHM=COPY rebuilds the index."""
    return (
        engine != "innodb"
        and _enum_or_set(change.new)
        and change.column in indexed
        and any(k == "collation" or k.startswith("charset:") for k in change.kinds)
    )


def _enum_or_set(column: Column) -> bool:
    return ColumnType.parse(column.column_type).base in ("enum", "set")


def _utf8mb3_to_utf8mb4(kind: str) -> bool:
    _, before, after = kind.split(":")
    return before in _UTF8MB3 and after == "utf8mb4"


def _same_prefix(old: Column | None, new: Column) -> bool:
    """Does the length prefix of a VARCHAR/VARBINARY keep its size (both up to 255 bytes, or
    both over)? Types without one keep it."""
    before, after = _max_bytes(old), _max_bytes(new)
    if before is None or after is None:
        return True
    return (before <= 255) == (after <= 255)


def _max_bytes(column: Column | None) -> int | None:
    if column is None:
        return None
    parsed = ColumnType.parse(column.column_type)
    if parsed.base not in ("varchar", "varbinary", "char", "binary") or not parsed.numbers():
        return None
    per_char = _MBMAXLEN.get((column.charset or "binary").lower(), 4)
    return parsed.numbers()[0] * per_char


def _same_collation_rules(old: Column | None, new: Column) -> bool:
    """utf8mb3_unicode_ci and utf8mb4_unicode_ci sort the same way: an index keeps its order."""
    if old is None or old.collation is None or new.collation is None:
        return False
    return _collation_rules(old.collation) == _collation_rules(new.collation)


def _collation_rules(collation: str) -> str:
    return collation.lower().split("_", 1)[-1]
