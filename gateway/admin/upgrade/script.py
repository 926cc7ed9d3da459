"""The script: the statements to run and the comments that explain them and their cost."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gateway.admin.upgrade.columns import SOURCE, TARGET, quote_name
from gateway.admin.upgrade.cost import INPLACE, INSTANT, NOCOPY, Cost
from gateway.admin.upgrade.decide import Change

SESSION_SQL_MODE = "STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION"


@dataclass
class Plan:
    """What upgrade-archive found and decided; :meth:`lines` is the script it prints."""

    server: str
    engine: str
    row_format: str
    rows: int
    changes: list[Change]
    cannot: list[str]
    left_alone: list[str]
    cost: Cost
    checked: list[str] = field(default_factory=list)

    @property
    def algorithm(self) -> int:
        """The cost level (cost.INSTANT … cost.COPY)."""
        return self.cost.level

    @property
    def statements(self) -> list[str]:
        if not self.changes or self.cannot:
            return []
        out = [f"SET SESSION sql_mode = '{SESSION_SQL_MODE}'"]
        if any(c.timestamp for c in self.changes):
            out.append("SET SESSION explicit_defaults_for_timestamp = ON")
        clauses = ", ".join(c.clause for c in self.changes)
        if self.cost.clause:
            clauses += f", ALGORITHM = {self.cost.clause}"
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
        out.append(f"-- {self.cost_line()}")
        out.extend(statement + ";" for statement in self.statements)
        return out

    def cost_line(self) -> str:
        name = self.cost.clause or "COPY"
        level = self.cost.level
        if level == INSTANT:
            what = "metadata only, no row rewritten"
        elif level == NOCOPY and "mariadb" in self.server.lower():
            what = "no row rewritten; indexes of the changed columns rebuilt"
        elif level == NOCOPY:
            what = "no row rewritten, the table is not rebuilt"
        elif level == INPLACE:
            what = f"InnoDB rebuilds the table in place, {self.rows} rows rewritten"
        else:
            what = (
                f"the server copies the table, {self.rows} rows rewritten; writes to {TARGET} "
                "wait until it ends"
            )
        note = f" ({self.cost.note})" if self.cost.note else ""
        return f"ALGORITHM={name}: {what}{note}"


def _safe(text: str) -> str:
    """One comment line: no line break can end the comment early."""
    return re.sub(r"[\r\n\x00-\x1f]", " ", text)
