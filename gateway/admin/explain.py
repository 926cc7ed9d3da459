"""``lead-archive db explain``: the statements a call would send to the lead tables, none run
(the procedure ``lead_archive_explain``; like pt-archiver's ``--dry-run``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gateway.admin.installer import query
from gateway.contract import Direction


async def statements(
    conn: Any,
    direction: Direction,
    lead_ids: Sequence[int],
    *,
    insert: bool = True,
    update: bool = True,
    delete: bool = True,
) -> list[str]:
    """In the order a call runs them; the checks (id list, schema guard) run as for a call and
    refuse with the same error."""
    rows = await query(
        conn,
        "CALL lead_archive_explain(%s, %s, %s, %s, %s)",
        (direction, json.dumps(list(lead_ids)), insert, update and direction == "archive", delete),
    )
    return [str(row[0]) for row in rows]
