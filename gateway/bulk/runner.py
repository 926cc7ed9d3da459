"""Run a job: batches carved from what is left, several in flight, retried where the answer
says a retry is safe, each finished batch recorded before the next one starts."""

from __future__ import annotations

import asyncio
import sys
import time

from gateway.bulk.options import Options
from gateway.bulk.progress import Progress
from gateway.bulk.state import BatchRecord, State
from gateway.bulk.throttles import BatchSizer, Check, Gate, Pace
from gateway.bulk.transport import Transport
from gateway.errors import Problem

EXIT_DONE, EXIT_KEPT, EXIT_REFUSED, EXIT_STOPPED = 0, 1, 2, 3
RETRIED = {"database_unavailable", "too_many_requests"}


async def run(
    state: State, transport: Transport, options: Options, checks: list[Check] | None = None
) -> int:
    what = "archiving" if options.direction == "archive" else "restoring"
    progress = Progress(len(state.ids), state.done_leads(), what)
    pending = state.pending()
    sizer = BatchSizer(options.batch_size, options.max_lock_ms)
    gate = Gate(checks or [], progress.pause)
    pace = Pace(options.max_rate)
    stopped = False

    def take() -> tuple[int, list[int]] | None:
        """The next stretch of pending ids, of the size the sizer asks for now."""
        while pending:
            start, end = pending[0]
            count = min(sizer.size, end - start)
            if start + count == end:
                pending.pop(0)
            else:
                pending[0] = (start + count, end)
            return start, state.ids[start : start + count]
        return None

    async def worker() -> None:
        # Several batches in flight hide the client's and the gateway's share of the time
        # behind the database's; the procedures keep their order safe.
        nonlocal stopped
        while not stopped:
            await gate.wait()
            batch = take()
            if batch is None:
                return
            start, ids = batch
            await pace.take(len(ids))
            outcome = await _one_batch(start, ids, transport, options)
            if outcome is None:
                stopped = True
                return
            record, lock_ms = outcome
            state.record(record)
            sizer.observe(len(ids), lock_ms)
            progress.update(len(ids))
            if options.sleep:
                await asyncio.sleep(options.sleep)

    refused: Problem | None = None
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(options.parallel):
                group.create_task(worker())
    except* Problem as group_error:
        first = group_error.exceptions[0]
        assert isinstance(first, Problem)
        refused = first
    finally:
        progress.close()
        await transport.close()
    if refused is not None:
        print(f"stopped: {refused.code}: {refused.message}", file=sys.stderr)
        for column in refused.extra.get("columns", []):
            print(f"  {column['column']}: {column['problem']}", file=sys.stderr)
        return EXIT_REFUSED
    if stopped:
        return EXIT_STOPPED
    totals = state.totals()
    return EXIT_KEPT if totals.get("not_found") or state.kept() else EXIT_DONE


async def _one_batch(
    start: int, ids: list[int], transport: Transport, options: Options
) -> tuple[BatchRecord, float | None] | None:
    record = BatchRecord(start, len(ids))
    remaining = list(ids)
    lock_ms: float | None = None
    delay, give_up = 1.0, time.monotonic() + options.retry_for
    while remaining:
        try:
            moved = await transport.move(remaining, options)
        except Problem as problem:
            if problem.code == "leads_not_found":
                missing = set(problem.extra.get("lead_ids", []))
                archived = set(problem.extra.get("already_archived", []))
                record.already += [i for i in remaining if i in archived]
                record.not_found += [i for i in remaining if i in missing - archived]
                remaining = [i for i in remaining if i not in missing]
                continue
            wait = int(problem.headers.get("Retry-After", "0") or 0)
            if problem.code == "office_hours":
                opens = time.strftime("%Y-%m-%d %H:%M", time.localtime(time.time() + wait))
                if not options.wait:
                    print(
                        f"\noffice hours: the API opens at {opens} (in {wait} s); run the same"
                        " command again then, or add --wait",
                        file=sys.stderr,
                    )
                    return None
                print(f"\noffice hours: waiting until {opens}", file=sys.stderr)
                await asyncio.sleep(wait + 1)
                continue
            if problem.code in RETRIED and time.monotonic() < give_up:
                await asyncio.sleep(max(delay, wait))
                delay = min(delay * 2, 60)
                continue
            if problem.code in RETRIED:
                print(
                    f"\nstopped: {problem.message}; run the same command again to continue",
                    file=sys.stderr,
                )
                return None
            raise
        lock_ms = moved.lock_ms
        for r in moved.leads:
            record.inserted += r.inserted
            record.updated += r.updated
            record.deleted += r.deleted
            if r.reason:
                record.kept[r.lead_id] = r.reason
        break
    return record, lock_ms
