"""A primary and a replica (two private mariadbd): archiving replicates, in mixed and in
statement binlog format, on MyISAM and on InnoDB lead tables (where the call's working tables,
in memory, are written inside its transaction), and both lead tables checksum the same on the
replica."""

from __future__ import annotations

import random

import pytest

from gateway.admin import installer
from gateway.dev.mariadb_server import PrivateServer
from tests.support import mariadb_versions
from tests.support.dbtools import SyncDB, build_vicidial


@pytest.mark.parametrize("binlog_format", ["mixed", "statement"])
@pytest.mark.parametrize("engine", ["MyISAM", "InnoDB"])
def test_archiving_replicates(engine: str, binlog_format: str) -> None:
    if mariadb_versions.cached(mariadb_versions.SYSTEM_VERSION) is None:
        pytest.skip("needs the local MariaDB binaries")
    primary = PrivateServer(
        extra_args=("--log-bin=primary-bin", "--server-id=1", f"--binlog-format={binlog_format}")
    ).start()
    replica = PrivateServer(
        extra_args=("--server-id=2", "--relay-log=replica-relay", "--read-only")
    ).start()
    try:
        r_root = SyncDB(replica.url("mysql"))
        r_root.execute(
            "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%s, MASTER_USER='root',"
            " MASTER_PASSWORD='', MASTER_LOG_FILE='primary-bin.000001', MASTER_LOG_POS=4",
            (primary.port,),
        )
        r_root.execute("START SLAVE")
        p_root = SyncDB(primary.url("mysql"))
        p_root.execute("CREATE DATABASE asterisk CHARACTER SET utf8mb3 COLLATE utf8mb3_unicode_ci")
        db = SyncDB(primary.url("asterisk"))
        build_vicidial(db, engine=engine)
        db.run(installer.load_sample_leads(db.conn, 1, 3000))
        db.execute("INSERT INTO vicidial_hopper (lead_id, list_id) VALUES (7, 1001)")
        ids = list(range(1, 3001))
        random.Random(3).shuffle(ids)
        db.archive(ids[:500], True, False, False)
        db.execute(
            "UPDATE vicidial_list SET comments = 'changed' WHERE lead_id IN (%s, %s)",
            (ids[0], ids[1]),
        )
        for start in range(0, 2500, 500):
            db.archive(ids[start : start + 500])
        db.dearchive([i for i in ids[600:900] if i != 7])
        file, position = p_root.execute("SHOW MASTER STATUS")[0][:2]
        assert r_root.value("SELECT MASTER_POS_WAIT(%s, %s, 60)", (file, position)) >= 0
        status = r_root.results("SHOW SLAVE STATUS")[0]
        tables = ("vicidial_list", "vicidial_list_archive")
        on_primary = [
            r[1]
            for r in db.execute(
                "CHECKSUM TABLE asterisk.vicidial_list, asterisk.vicidial_list_archive"
            )
        ]
        on_replica = [
            r[1]
            for r in r_root.execute(
                "CHECKSUM TABLE asterisk.vicidial_list, asterisk.vicidial_list_archive"
            )
        ]
        counts = [db.value(f"SELECT COUNT(*) FROM {t}") for t in tables]
        assert on_primary == on_replica, (status, counts)
        assert counts[1] > 2000
        for closing in (db, p_root, r_root):
            closing.close()
    finally:
        replica.stop()
        primary.stop()
