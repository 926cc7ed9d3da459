"""``lead_archive_lookup``: archived leads by phone number, through the index, few columns."""

from __future__ import annotations

import pytest

from tests.support.dbtools import SyncDB, seed_leads


def _archive(db: SyncDB, count: int) -> None:
    seed_leads(db, count)
    db.execute("INSERT INTO vicidial_list_archive SELECT * FROM vicidial_list")
    db.execute("DELETE FROM vicidial_list")


def test_lookup_finds_the_archived_leads_of_a_number_newest_first(vdb: SyncDB) -> None:
    _archive(vdb, 30)
    vdb.execute(
        "UPDATE vicidial_list_archive SET phone_number = '5550102030' WHERE lead_id IN (4, 9)"
    )
    vdb.execute("UPDATE vicidial_list_archive SET alt_phone = '5550102030' WHERE lead_id = 5")
    rows = vdb.call("lead_archive_lookup", "+1 (555) 010-2030"[3:], 51)
    assert [r[0] for r in rows] == [9, 4]
    assert len(rows[0]) == 4  # lead_id, list_id, status, modify_date: nothing else leaves
    assert vdb.call("lead_archive_lookup", "555 010 2031", 51) == []


def test_lookup_stops_at_the_limit(vdb: SyncDB) -> None:
    _archive(vdb, 80)
    vdb.execute("UPDATE vicidial_list_archive SET phone_number = '5550000000'")
    assert len(vdb.call("lead_archive_lookup", "5550000000", 51)) == 51


@pytest.mark.parametrize("phone", ["", "n/a", "1" * 19])
def test_lookup_refuses_what_is_no_phone_number(vdb: SyncDB, phone: str) -> None:
    with pytest.raises(Exception, match="invalid_phone_number"):
        vdb.call("lead_archive_lookup", phone, 51)


def test_lookup_reads_the_phone_number_index_not_the_table(vdb: SyncDB) -> None:
    _archive(vdb, 3000)
    vdb.execute("FLUSH STATUS")
    vdb.call("lead_archive_lookup", "5550102030", 51)
    status = dict(vdb.execute("SHOW SESSION STATUS LIKE 'Handler_read%'"))
    rows_read = sum(int(status[f"Handler_read_{k}"]) for k in ("next", "prev", "rnd_next", "rnd"))
    assert rows_read < 100, status  # a scan of the table or of another index reads ~3,000
