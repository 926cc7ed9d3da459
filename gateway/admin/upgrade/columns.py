"""Reading the definitions: both tables' columns from ``information_schema``, parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gateway.db import execute_all

SOURCE = "vicidial_list"
TARGET = "vicidial_list_archive"


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


def quote_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes | bytearray) else str(value)


async def rows(conn: Any, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
    """The last result set of one statement."""
    sets = await execute_all(conn, sql, args)
    return sets[-1] if sets else []


async def read_columns(conn: Any, table: str) -> list[Column]:
    found = await rows(
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
            column_type=text(r[2]),
            charset=None if r[3] is None else text(r[3]),
            collation=None if r[4] is None else text(r[4]),
            nullable=text(r[5]) == "YES",
            default=None if r[6] is None else text(r[6]),
            extra=text(r[7] or ""),
        )
        for r in found
    ]


async def read_table(conn: Any, table: str) -> tuple[str, str] | None:
    """(engine, row format), or None when the table does not exist."""
    found = await rows(
        conn,
        "SELECT ENGINE, ROW_FORMAT FROM information_schema.TABLES"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
        (table,),
    )
    if not found:
        return None
    return text(found[0][0] or ""), text(found[0][1] or "")


async def read_indexes(conn: Any, table: str) -> tuple[set[str], set[str]]:
    """(columns of any index, columns of the primary key)."""
    found = await rows(
        conn,
        "SELECT COLUMN_NAME, INDEX_NAME FROM information_schema.STATISTICS"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
        (table,),
    )
    return {str(r[0]) for r in found}, {str(r[0]) for r in found if str(r[1]) == "PRIMARY"}


async def read_row_versions(conn: Any, table: str) -> int:
    """MySQL 8.0.29+, InnoDB: the instant ADD/DROP COLUMN statements the table has taken since
    it was last rebuilt (``TOTAL_ROW_VERSIONS``); 0 when the table is not found there."""
    database = await rows(conn, "SELECT DATABASE()")
    name = innodb_name(text(database[0][0]), table)
    if name is None:
        return 0
    found = await rows(
        conn,
        "SELECT TOTAL_ROW_VERSIONS FROM information_schema.INNODB_TABLES WHERE NAME = %s",
        (name,),
    )
    return int(found[0][0] or 0) if found else 0


def innodb_name(database: str, table: str) -> str | None:
    """``db/table`` as InnoDB names it: characters other than ASCII letters, digits and ``_``
    as ``@`` and four hex digits (``la-t`` → ``la@002dt``); None for non-ASCII names, whose
    encoding is not reproduced here."""
    out = []
    for part in (database, table):
        if not part.isascii():
            return None
        out.append("".join(c if c.isalnum() or c == "_" else f"@{ord(c):04x}" for c in part))
    return "/".join(out)
