"""``lead-archive db upgrade-archive``: bring ``vicidial_list_archive`` to ``vicidial_list``'s
column definitions without losing an archived value.

VICIdial's upgrades alter ``vicidial_list`` and never its archive, so an upgraded server's
archive lacks columns (``rank``, ``owner``, ``entry_list_id``), ENUM members (``'D'``) or has
narrower types, and the procedures refuse it with ``schema_mismatch``. This package reads both
column lists from ``information_schema.COLUMNS`` (:mod:`.columns`), decides for every
difference whether it can be changed without changing a stored value (:mod:`.decide`), checks
the data where that depends on it (NULLs, negative numbers, bytes a character set conversion
would change) with one query over the archive, and writes one ``ALTER TABLE`` for the DBA to
review (:mod:`.script`), or runs it with ``--apply`` (:mod:`.apply`).

What "matches" is what ``lead_archive_guard`` checks in both directions (same ``COLUMN_TYPE``,
character set and nullability, ``lead_id`` the primary key); the statement goes further and
gives each column ``vicidial_list``'s whole definition (collation, default, ``ON UPDATE``),
``lead_id`` always without ``AUTO_INCREMENT``.

It never drops a column or an ENUM/SET member and never narrows a type: what it cannot do
safely it names, and then it prints nothing to run and changes nothing. Columns only in the
archive are left alone.

The statement carries the ``ALGORITHM`` the server is expected to use when that is cheaper than
a table copy (:mod:`.cost`), so that the server refuses (changing nothing) rather than copies a
table the DBA was told would not be copied.

Like ``gateway.admin.installer``, this package is the database adapter of a command line tool: the
statements it sends read ``information_schema`` and the archive, and the DDL it generates is
printed for the DBA to review.
"""

from gateway.admin.upgrade.apply import Outcome, plan, run
from gateway.admin.upgrade.columns import Column, ColumnType
from gateway.admin.upgrade.cost import (
    ALGORITHMS,
    COPY,
    INPLACE,
    INSTANT,
    NOCOPY,
    Cost,
    algorithms,
    clause,
    predict,
)
from gateway.admin.upgrade.decide import Change, Check, compare, definition
from gateway.admin.upgrade.script import Plan

__all__ = [
    "ALGORITHMS",
    "COPY",
    "INPLACE",
    "INSTANT",
    "NOCOPY",
    "Change",
    "Check",
    "Column",
    "ColumnType",
    "Cost",
    "Outcome",
    "Plan",
    "algorithms",
    "clause",
    "compare",
    "definition",
    "plan",
    "predict",
    "run",
]
