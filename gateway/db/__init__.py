"""The database adapter: the only part of the gateway that speaks SQL to a server, and that
SQL is ``CALL`` of the procedures in ``sql/procedures/`` (plus a few reads of
``information_schema`` and server status).

- :mod:`.pool`: connections, the pool and every CALL;
- :mod:`.mapping`: database errors → catalogue codes, one table;
- :mod:`.monitor`: the status reads of the bulk client's throttles.
"""

from __future__ import annotations

from gateway.contract import Direction
from gateway.db.mapping import SIGNAL_ERRNO
from gateway.db.pool import (
    GATEWAY_PROCEDURES,
    Database,
    LeadResult,
    LeadResults,
    call_procedure,
    connect,
    execute_all,
)

__all__ = [
    "GATEWAY_PROCEDURES",
    "SIGNAL_ERRNO",
    "Database",
    "Direction",
    "LeadResult",
    "LeadResults",
    "call_procedure",
    "connect",
    "execute_all",
]
