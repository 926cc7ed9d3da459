"""``lead-archive archive`` throttles: adaptive batch size, pauses on load and lag, pace."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from gateway.bulk.state import BatchRecord, State
from gateway.bulk.throttles import BatchSizer, Pace
from tests.support.dbtools import SyncDB, seed_leads
from tests.support.processes import cli_env, run_cli


def _ids_file(tmp: Path, ids: list[int]) -> str:
    path = tmp / "ids.txt"
    path.write_text("\n".join(map(str, ids)) + "\n")
    return str(path)


def _batch_sizes(db: SyncDB) -> list[int]:
    return [int(r[0]) for r in db.execute("SELECT select_count FROM lead_archive_audit ORDER BY 1")]


def test_sizer_shrinks_to_the_target_and_grows_back() -> None:
    sizer = BatchSizer(500, max_lock_ms=20)
    assert sizer.size == 50  # starts small: the first batch must not be the long one
    for _ in range(10):
        sizer.observe(sizer.size, lock_ms=sizer.size * 0.2)  # 0.2 ms a lead: 100 fit in 20 ms
    assert 90 <= sizer.size <= 110
    for _ in range(20):
        sizer.observe(sizer.size, lock_ms=sizer.size * 0.01)  # cheap leads: up to the ceiling
    assert sizer.size == 500
    sizer.observe(500, lock_ms=10_000)  # one very slow batch: down at once, but not below 1
    assert 1 <= sizer.size < 300
    fixed = BatchSizer(200, max_lock_ms=None)
    fixed.observe(200, lock_ms=10_000)
    assert fixed.size == 200


def test_sizer_is_a_bound_not_an_average() -> None:
    # holds that vary by half from one batch to the next: sized from the costliest recent
    # lead, no batch after the first few goes past the bound (an average would, every other time)
    sizer = BatchSizer(500, max_lock_ms=20)
    holds = []
    for i in range(40):
        size = sizer.size
        hold = size * (0.12 if i % 2 else 0.08)
        holds.append(hold)
        sizer.observe(size, lock_ms=hold)
    assert max(holds[4:]) <= 20
    assert min(holds[-10:]) >= 20 * 0.08 / 0.12 * 0.9  # and not needlessly small
    sizer.observe(sizer.size, lock_ms=sizer.size * 0.5)  # the table got slower: shrinks at once
    assert sizer.size * 0.5 <= 20


def test_pace_spreads_leads_over_time() -> None:
    async def go() -> float:
        pace = Pace(max_rate=1000)
        started = time.monotonic()
        for _ in range(5):
            await pace.take(50)  # 250 leads at 1000/s: the fifth batch starts at 0.2 s
        return time.monotonic() - started

    assert asyncio.run(go()) >= 0.19


def test_state_knows_what_is_left_after_batches_of_any_size(tmp_path: Path) -> None:
    state = State.open(tmp_path / "s", {"job": 1, "batch_size": 500}, list(range(1, 101)))
    state.record(BatchRecord(0, 10))
    state.record(BatchRecord(30, 5))
    state.record(BatchRecord(10, 7))
    again = State.open(tmp_path / "s", {"job": 1, "batch_size": 500}, None)
    assert again.pending() == [(17, 30), (35, 100)]
    assert again.done_leads() == 22


def test_state_reads_the_older_lines_of_fixed_batches(tmp_path: Path) -> None:
    path = tmp_path / "old.state"
    job = {"direction": "archive", "batch_size": 20}
    path.write_text(
        '{"job": {"direction": "archive", "batch_size": 20}, "ids": ' + str(list(range(50))) + "}\n"
        '{"index": 1, "inserted": 20, "updated": 0, "deleted": 20, "kept": {}, "not_found": []}\n'
        '{"index": 2, "inserted": 10, "updated": 0, "deleted": 10, "kept": {}, "not_found": []}\n'
    )
    state = State.open(path, job, None)
    assert state.pending() == [(0, 20)]


def test_max_lock_ms_keeps_batches_small_and_moves_everything(vdb: SyncDB, tmp_path: Path) -> None:
    ids = seed_leads(vdb, 1500)
    done = run_cli(
        "archive", "--direct", "--max-lock-ms", "0.5", "--parallel", "1",
        "--ids-file", _ids_file(tmp_path, ids), env=cli_env(vdb), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert vdb.ids("vicidial_list") == [] and len(vdb.ids("vicidial_list_archive")) == 1500
    sizes = _batch_sizes(vdb)
    assert sum(sizes) == 1500 and max(sizes) < 500, sizes


def _paused_run(db: SyncDB, tmp: Path, *flags: str) -> str:
    """Start a run with ``flags``, read its stderr until it says it pauses, stop it."""
    ids = seed_leads(db, 20)
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "archive", "--direct", *flags,
         "--ids-file", _ids_file(tmp, ids)],
        env=cli_env(db), cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if "paused" in line or not line:
                return line
        return ""
    finally:
        process.kill()
        process.wait()


def test_max_load_pauses_while_the_server_is_busier(vdb: SyncDB, tmp_path: Path) -> None:
    # Threads_running counts the SHOW that reads it: never 0, so this run waits
    line = _paused_run(vdb, tmp_path, "--max-load", "Threads_running=0")
    assert "paused: Threads_running=" in line and "> 0" in line
    assert len(vdb.ids("vicidial_list")) == 20 and vdb.audit_count() == 0


def test_max_lag_pauses_while_no_replica_replicates(vdb: SyncDB, tmp_path: Path) -> None:
    env = cli_env(vdb)
    line = _paused_run(
        vdb, tmp_path, "--replica-url", env["LEAD_ARCHIVE_DATABASE_URL"], "--max-lag", "5"
    )
    assert "paused: replica not replicating" in line
    assert len(vdb.ids("vicidial_list")) == 20 and vdb.audit_count() == 0


def test_throttle_flags_are_checked_before_anything(vdb: SyncDB, tmp_path: Path) -> None:
    ids = seed_leads(vdb, 3)
    for flags, message in [
        (("--max-load", "Threads_running"), "NAME=NUMBER"),
        (("--max-lag", "3"), "go together"),
        (("--max-lock-ms", "0"), "positive"),
        (("--sleep", "-1"), "negative"),
    ]:
        done = run_cli(
            "archive", "--direct", *flags, "--ids-file", _ids_file(tmp_path, ids),
            env=cli_env(vdb), cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 2 and message in done.stderr, (flags, done.stderr)
    assert vdb.ids("vicidial_list") == ids and vdb.audit_count() == 0
