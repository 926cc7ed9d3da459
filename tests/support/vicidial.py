"""VICIdial's users, user groups, campaigns, lists and logs (sql/vicidial/users_and_logs.sql),
filled for the tests of keys bound to a VICIdial user and of VICIdial's logs."""

from __future__ import annotations

from typing import Any

from gateway.admin import installer
from gateway.http import auth
from tests.support import secrets
from tests.support.dbtools import SyncDB

# A user VICIdial's own lead_dearchive function accepts; each test changes one field.
ALLOWED_USER: dict[str, Any] = {
    "pass": "x",
    "full_name": "API user",
    "user_level": 9,
    "user_group": "ARCHIVERS",
    "active": "Y",
    "modify_leads": "1",
    "vdc_agent_api_access": "1",
    "api_allowed_functions": " ALL_FUNCTIONS ",
    "api_list_restrict": "0",
    "api_only_user": "1",
}
# Campaigns and their lists: the sample leads (dbtools.make_lead) lie in lists 101, 102, 998
# and 10000000001.
LISTS = {101: "SALES", 102: "SALES", 998: "SURVEY", 10_000_000_001: "OLD"}


def load(db: SyncDB) -> None:
    """The tables, a user group ARCHIVERS allowed campaign SALES only, the campaigns and their
    lists."""
    db.run(installer.run_script(db.conn, installer.read_sql("vicidial", "users_and_logs.sql")))
    for campaign in sorted(set(LISTS.values())):
        db.execute(
            "INSERT INTO vicidial_campaigns (campaign_id, campaign_name, active)"
            " VALUES (%s, %s, 'Y')",
            (campaign, campaign.title()),
        )
    for list_id, campaign in LISTS.items():
        db.execute(
            "INSERT INTO vicidial_lists (list_id, list_name, campaign_id, active)"
            " VALUES (%s, %s, %s, 'Y')",
            (list_id, f"list {list_id}", campaign),
        )
    add_group(db, "ARCHIVERS", " SALES -")


def add_group(db: SyncDB, group: str, allowed_campaigns: str | None) -> None:
    db.execute(
        "INSERT INTO vicidial_user_groups (user_group, group_name, allowed_campaigns)"
        " VALUES (%s, %s, %s)",
        (group, group.title(), allowed_campaigns),
    )


def add_user(db: SyncDB, user: str, **fields: Any) -> None:
    """A vicidial_users row allowed to archive, with ``fields`` changed."""
    row = {"user": user, **ALLOWED_USER, **fields}
    names = ", ".join(f"`{name}`" for name in row)
    marks = ", ".join(["%s"] * len(row))
    db.execute(f"INSERT INTO vicidial_users ({names}) VALUES ({marks})", tuple(row.values()))


def set_user(db: SyncDB, user: str, **fields: Any) -> None:
    assignments = ", ".join(f"`{name}` = %s" for name in fields)
    db.execute(
        f"UPDATE vicidial_users SET {assignments} WHERE `user` = %s", (*fields.values(), user)
    )


def bound_key(db: SyncDB, name: str, vicidial_user: str | None) -> tuple[str, bytes]:
    """A new key of API user ``name`` bound to ``vicidial_user``: (key, its SHA-256)."""
    key = secrets.register(auth.new_key())
    digest = auth.key_hash(key)
    db.call("lead_archive_key_create_bound", name, digest, vicidial_user)
    return key, digest


def admin_log(db: SyncDB) -> list[dict[str, Any]]:
    return rows(db, "SELECT * FROM vicidial_admin_log ORDER BY admin_log_id")


def api_log(db: SyncDB) -> list[dict[str, Any]]:
    return rows(db, "SELECT * FROM vicidial_api_log ORDER BY api_id")


def rows(db: SyncDB, sql: str) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        async with db.conn.cursor() as cur:
            await cur.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in await cur.fetchall()]

    result: list[dict[str, Any]] = db.run(go())
    return result


def list_of(db: SyncDB, lead_id: int, table: str = "vicidial_list") -> int:
    return int(db.value(f"SELECT list_id FROM `{table}` WHERE lead_id = %s", (lead_id,)))


def leads_in(db: SyncDB, campaigns: set[str], table: str = "vicidial_list") -> list[int]:
    """The ids of ``table`` whose list belongs to one of ``campaigns``, in id order."""
    lists = [list_id for list_id, campaign in LISTS.items() if campaign in campaigns]
    return [
        int(r[0])
        for r in db.execute(
            f"SELECT lead_id FROM `{table}` WHERE list_id IN ({', '.join(['%s'] * len(lists))})"
            " ORDER BY lead_id",
            tuple(lists),
        )
    ]
