"""What the bulk client's throttles read from a server: a global status counter, a replica's lag.

Plain reads any monitoring account may run (``PROCESS`` or ``REPLICATION CLIENT`` privilege for
the replica); no procedure is involved, so they also work on a replica without the project's
routines.
"""

from __future__ import annotations

from typing import Any

from gateway.db import connect
from gateway.dburl import DatabaseURL


class Monitor:
    """One lazily opened connection to a server, reopened after an error."""

    def __init__(self, url: DatabaseURL) -> None:
        self.url = url
        self.conn: Any = None

    async def _rows(self, sql: str, args: Any = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        if self.conn is None:
            self.conn = await connect(self.url)
        try:
            async with self.conn.cursor() as cur:
                await cur.execute(sql, args)
                names = [d[0] for d in cur.description or ()]
                return names, list(await cur.fetchall())
        except Exception:
            self.close()
            raise

    async def global_status(self, name: str) -> int | None:
        """A numeric global status variable (``Threads_running``), or None when unknown."""
        _, rows = await self._rows("SHOW GLOBAL STATUS LIKE %s", (name,))
        try:
            return int(rows[0][1]) if rows else None
        except ValueError:
            return None

    async def replica_lag(self) -> float | None:
        """Seconds the replica is behind its primary; None when it does not replicate now
        (threads stopped, or not a replica)."""
        try:
            names, rows = await self._rows("SHOW REPLICA STATUS")
        except Exception:
            names, rows = await self._rows("SHOW SLAVE STATUS")  # before MariaDB 10.5.1
        if not rows:
            return None
        row = dict(zip(names, rows[0], strict=False))
        lag = row.get("Seconds_Behind_Source", row.get("Seconds_Behind_Master"))
        return None if lag is None else float(lag)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
