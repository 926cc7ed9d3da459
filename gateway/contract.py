"""Each fact of the public contract, written once: the routes with their flags and tables, and
the limits. Read by the validator, the OpenAPI document, the database adapter, the bulk client
and the command line. Imports nothing of the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["archive", "dearchive"]

MAX_LEADS = 500  # ids per request (LEAD_ARCHIVE_MAX_LEADS may lower it); the SQL's own limit
MAX_LEAD_ID = 4_294_967_295  # vicidial_list.lead_id is INT UNSIGNED
MAX_BODY_BYTES = 64 * 1024

# Which archived leads have this phone number? (for loaders and inbound flows)
LOOKUP_PATH = "/vicidial/leads/archive/lookup"
LOOKUP_LIMIT = 50  # leads in one answer; `more` says when there were others
MAX_PHONE_TEXT = 64  # characters of a phone number as sent, before only its digits are kept


@dataclass(frozen=True)
class Route:
    """One move route: where it reads and writes, which flags its body takes, whether the
    office-hours window closes it, and the function name VICIdial's API permissions use."""

    direction: Direction
    path: str
    flags: tuple[str, ...]
    source: str
    target: str
    office_hours: bool
    vicidial_function: str


ROUTES: dict[Direction, Route] = {
    "archive": Route(
        "archive",
        "/vicidial/leads/archive",
        ("insert_leads", "update_leads", "delete_leads"),
        "vicidial_list",
        "vicidial_list_archive",
        office_hours=True,
        vicidial_function="lead_archive",
    ),
    "dearchive": Route(
        "dearchive",
        "/vicidial/leads/dearchive",
        ("insert_leads", "delete_leads"),
        "vicidial_list_archive",
        "vicidial_list",
        office_hours=False,
        vicidial_function="lead_dearchive",
    ),
}


@dataclass(frozen=True)
class Move:
    """What one call moves: the direction, its flags and the ids, from the HTTP body (or a bulk
    run's batch) to the procedure."""

    direction: Direction
    lead_ids: tuple[int, ...]
    insert: bool
    update: bool
    delete: bool


def source_table(direction: Direction) -> str:
    return ROUTES[direction].source


def target_table(direction: Direction) -> str:
    return ROUTES[direction].target
