"""lead-archive db explain: the statements a call would run, printed, none run."""

from __future__ import annotations

from tests.support.dbtools import SyncDB, seed_leads
from tests.support.processes import cli_env, run_cli


def test_db_explain_prints_the_statements_and_runs_none(vdb: SyncDB) -> None:
    seed_leads(vdb, 3)
    before = vdb.checksums()
    done = run_cli("db", "explain", "1", "2", env=cli_env(vdb))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == [
        "CREATE", "INSERT", "UPDATE", "INSERT", "UPDATE", "UPDATE", "DELETE",
    ]  # fmt: skip
    assert all(line.endswith(";") for line in lines)
    assert "DELETE s FROM `vicidial_list` AS s" in lines[-1]
    restore = run_cli("db", "explain", "--restore", "--no-delete", "1", env=cli_env(vdb))
    assert restore.returncode == 0, restore.stderr
    assert "INSERT IGNORE INTO `vicidial_list`" in restore.stdout
    assert "DELETE" not in restore.stdout
    assert vdb.checksums() == before and vdb.audit_count() == 0
    refused = run_cli("db", "explain", "1", "1", env=cli_env(vdb))
    assert refused.returncode == 1
    assert refused.stderr.startswith("duplicate_lead_ids:")
