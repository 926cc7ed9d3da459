"""How long statements held ``vicidial_list``, read from MariaDB's slow log.

The benchmark's server logs every statement of the archivers (``long_query_time=0`` globally,
``log_slow_disabled_statements=''`` so that statements inside stored procedures are logged too;
the dialer's connections set their own ``long_query_time`` high and stay out of the log).

Each entry has ``Query_time`` and ``Lock_time``. ``Lock_time`` is the time until the statement
held its table locks, so ``Query_time - Lock_time`` is how long it then held them: on MyISAM,
the table lock that makes every other statement on ``vicidial_list`` wait (a read lock blocks
writers, a write lock blocks everyone); on InnoDB, the time the statement ran on the table
(its row locks last until the transaction commits, but only the archived rows are locked).
For a statement inside a stored procedure MariaDB measures both times from the start of the
outer ``CALL`` (they grow from one statement to the next), and the difference is still the
statement's own hold. A prepared statement run with ``EXECUTE`` is logged twice with the same
text (the statement, then the ``EXECUTE``): the second is skipped. ``CALL`` entries (the sum
of their statements) and the procedures' ``SET``/``PREPARE``/``DEALLOCATE`` (they build dynamic
SQL naming the table in strings) are not counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOUCHES = re.compile(r"(?i)`?\bvicidial_list`?(?![\w])")
WRITES = re.compile(
    r"(?is)^\s*(?:DELETE\b.*?\bFROM|UPDATE(?:\s+LOW_PRIORITY)?(?:\s+IGNORE)?"
    r"|(?:INSERT|REPLACE)(?:\s+\w+)*?\s+INTO|LOAD\s+DATA\b.*?\bINTO\s+TABLE)"
    r"\s+(?:`?\w+`?\.)?`?vicidial_list`?(?![\w])"
)
TIMES = re.compile(r"Query_time:\s*([\d.]+)\s+Lock_time:\s*([\d.]+)")
THREAD = re.compile(r"Thread_id:\s*(\d+)")
ROUTINE = re.compile(r"Stored_routine:\s*(\S+)")
# A CALL is the sum of its statements (logged one by one); SET, PREPARE and DEALLOCATE in the
# procedures build dynamic SQL that names the table in strings without touching it.
IGNORED = re.compile(r"(?i)\s*(CALL|SET|PREPARE|DEALLOCATE)\b")


@dataclass
class Entry:
    thread: int
    query_s: float
    lock_s: float
    sql: str
    routine: str | None

    @property
    def hold_ms(self) -> float:
        return max(0.0, self.query_s - self.lock_s) * 1000


def entries(text: str) -> Iterator[Entry]:
    thread, times, routine = 0, (0.0, 0.0), None
    sql: list[str] = []
    in_entry = False

    def flush() -> Entry | None:
        body = "\n".join(sql).strip()
        if in_entry and body:
            return Entry(thread, times[0], times[1], body, routine)
        return None

    for line in text.splitlines():
        if line.startswith("# User@Host:") or line.startswith("# Time:"):
            if (done := flush()) is not None:
                yield done
            sql, routine, in_entry = [], None, True
            continue
        if line.startswith("#"):
            if m := THREAD.search(line):
                thread = int(m.group(1))
            if m := TIMES.search(line):
                times = (float(m.group(1)), float(m.group(2)))
            if m := ROUTINE.search(line):
                routine = m.group(1)
            continue
        if not in_entry or re.fullmatch(r"SET timestamp=\d+;|use `?\w+`?;", line.strip()):
            continue
        sql.append(line)
    if (done := flush()) is not None:
        yield done


STRINGS = re.compile(r"'(?:[^'\\]|\\.|'')*'")
TARGET = re.compile(r"(?is)\b(?:INTO(?:\s+TABLE)?|UPDATE|TABLE)\s+(?:`?\w+`?\.)?`?(\w+)`?")


def code(sql: str) -> str:
    """The statement without comments and string literals: a procedure that builds dynamic
    SQL names vicidial_list in a string without touching it."""
    return STRINGS.sub("''", re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)).strip()


def kind(sql: str) -> str:
    """``DELETE (write)``, ``INSERT INTO vicidial_list_archive … SELECT (read)`` …"""
    text = code(sql)
    verb = text.split(None, 1)[0].upper() if text else "?"
    if WRITES.match(text):
        return f"{verb} (write)"
    target = TARGET.search(text) if verb in ("INSERT", "REPLACE", "CREATE", "UPDATE") else None
    if target and verb == "UPDATE":
        return f"UPDATE {target.group(1)} (reads vicidial_list)"
    if target:
        return f"{verb} INTO {target.group(1)} … SELECT (read)"
    return f"{verb} (read)"


def summarise(path: Path, leads: int) -> dict[str, Any]:
    """Lock hold on vicidial_list by statement kind, in total and per 1,000 archived leads."""
    by_kind: dict[str, dict[str, float]] = {}
    previous: dict[int, tuple[str, float]] = {}
    logged = 0
    for entry in entries(path.read_text(errors="replace") if path.exists() else ""):
        logged += 1
        sql = entry.sql.rstrip().rstrip(";")
        if previous.get(entry.thread) == (sql, entry.lock_s):
            continue  # the EXECUTE of the prepared statement just logged
        previous[entry.thread] = (sql, entry.lock_s)
        if IGNORED.match(sql) or not TOUCHES.search(code(sql)):
            continue
        row = by_kind.setdefault(kind(sql), {"statements": 0, "hold_ms": 0.0, "max_ms": 0.0})
        row["statements"] += 1
        row["hold_ms"] += entry.hold_ms
        row["max_ms"] = max(row["max_ms"], entry.hold_ms)
    per = 1000 / leads if leads else 0.0
    total = sum(r["hold_ms"] for r in by_kind.values())
    return {
        "statements_logged": logged,
        "by_kind": {
            k: {
                "statements": int(r["statements"]),
                "hold_ms": round(r["hold_ms"], 1),
                "ms_per_1000_leads": round(r["hold_ms"] * per, 2),
                "longest_ms": round(r["max_ms"], 2),
            }
            for k, r in sorted(by_kind.items(), key=lambda kv: -kv[1]["hold_ms"])
        },
        "ms_per_1000_leads": round(total * per, 2),
        "longest_ms": round(max((r["max_ms"] for r in by_kind.values()), default=0.0), 2),
    }
