"""D1: what an archiver costs the dialer. VICIdial dials 24/7; on MyISAM every statement on
``vicidial_list`` locks the whole table, and while an archiver holds it the hopper cannot fill
and agents' dispositions wait.

A simulated dialer (:mod:`bench.dialer`, 200 operations/s by default) runs through the whole
measurement; its latency is taken from each operation's scheduled time. Per engine:

1. for each archiver, a fresh ``vicidial_list`` (a copy of a generated template, swapped in
   with one ``RENAME TABLE``; the archive and the hopper emptied);
2. an idle window: the dialer alone (the baseline next to this archiver);
3. the archiver moves the same leads (lists 1000-1005 up to a bound; the dialer works on the
   other lists) while the slow log records its statements (lock time, :mod:`bench.locktime`);
4. checks: every selected lead archived, no lead of the dialer's lists lost, archive copies
   byte-identical to the template.

Archivers: the bulk client (``lead-archive archive``) over ``--direct`` and over HTTP through
a gateway, with default settings or extra flags per phase (a flag the client rejects makes
that phase "not run"); a plain loop of 500-lead ``CALL``s; pt-archiver with its fastest flags
and with its defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench import dialer, locktime
from bench.data import Dataset, open_dataset
from bench.figures.common import Context, Row
from bench.processes import (
    PT_FASTEST,
    ClientRun,
    bulk_client,
    call_loop,
    client_rejects,
    gateway,
    pt_archiver,
)
from bench.stats import latency, noise
from gateway.db import connect

KEY = "D1"
OLD_LISTS = (1000, 1005)  # list_id = 1000 + lead_id % 12 in the sample data
KINDS = ("client-direct", "client-http", "call-loop", "pt-archiver")


@dataclass(frozen=True)
class Phase:
    name: str
    kind: str
    flags: tuple[str, ...] = ()
    engines: frozenset[str] = frozenset({"MyISAM", "InnoDB"})
    share: float = 1.0  # of the archive set: a slow archiver moves fewer leads


PHASES = (
    Phase("client-direct", "client-direct"),
    Phase("client-http", "client-http"),
    Phase("client-direct-parallel1", "client-direct", ("--parallel", "1")),
    Phase("client-direct-parallel4", "client-direct", ("--parallel", "4"), frozenset({"InnoDB"})),
    Phase("client-http-parallel4", "client-http", ("--parallel", "4"), frozenset({"InnoDB"})),
    Phase("client-direct-max-lock-20", "client-direct", ("--max-lock-ms", "20")),
    Phase("client-http-max-lock-20", "client-http", ("--max-lock-ms", "20")),
    Phase("call-loop", "call-loop"),
    Phase("pt-fastest", "pt-archiver", PT_FASTEST),
    Phase("pt-default", "pt-archiver", share=0.25),
)


def _phase_spec(text: str) -> Phase:
    """``NAME=KIND [FLAGS…]``, e.g. ``direct-p1=client-direct --parallel 1``."""
    name, _, rest = text.partition("=")
    words = shlex.split(rest)
    if not name or not words or words[0] not in KINDS:
        raise argparse.ArgumentTypeError(f"--dialer-phase NAME=KIND [FLAGS], KIND one of {KINDS}")
    return Phase(name.strip(), words[0], tuple(words[1:]))


def add_arguments(group: Any) -> None:
    group.add_argument(
        "--dialer-leads", type=int, default=200_000, help="rows of vicidial_list (200000)"
    )
    group.add_argument("--dialer-1m", action="store_true", help="--dialer-leads 1000000")
    group.add_argument(
        "--dialer-archive-leads",
        type=int,
        default=60_000,
        help="leads each archiver moves (60000; at most half the table)",
    )
    group.add_argument("--dialer-rate", type=float, default=200, help="operations/s (200)")
    group.add_argument("--dialer-connections", type=int, default=4)
    group.add_argument("--dialer-mix", default=dialer.DEFAULT_MIX)
    group.add_argument("--dialer-idle", type=float, default=10, help="idle window, s (10)")
    group.add_argument("--dialer-engines", default="MyISAM,InnoDB")
    group.add_argument(
        "--dialer-no-lock-log",
        action="store_true",
        help="no slow log while archiving (no lock figures; shows what logging costs)",
    )
    group.add_argument(
        "--dialer-phases",
        default="",
        help="run only these phases, merged into the day's D1 results (names, comma-separated;"
        " default all: " + ", ".join(p.name for p in PHASES) + ")",
    )
    group.add_argument(
        "--dialer-rounds",
        type=int,
        default=1,
        help="measure every phase this many times, the order rotated each round; each figure"
        " is then the median of its rounds (1)",
    )
    group.add_argument(
        "--dialer-phase",
        type=_phase_spec,
        action="append",
        default=[],
        metavar="NAME=KIND [FLAGS]",
        help="an extra phase, e.g. 'lock5=client-direct --max-lock-ms 5' (repeatable)",
    )


@dataclass
class Window:
    label: str  # "idle" or "archiving"
    phase: str
    start: float
    end: float


@dataclass
class Run:
    """One engine's measurement."""

    data: Dataset
    leads: int
    archive_ids: list[int]
    bound: int
    workdir: Path
    options: dict[str, Any]
    windows: list[Window] = field(default_factory=list)
    status: Path = Path("/dev/null")

    @property
    def port(self) -> int:
        return self.data.server.port

    @property
    def where(self) -> str:
        return f"lead_id <= {self.bound} AND list_id BETWEEN {OLD_LISTS[0]} AND {OLD_LISTS[1]}"


def archive_set(leads: int, count: int) -> tuple[list[int], int]:
    """The first ``count`` leads of the old lists, and the highest lead_id among them."""
    ids = [i for i in range(1, leads + 1) if OLD_LISTS[0] <= 1000 + i % 12 <= OLD_LISTS[1]]
    if count > len(ids):
        raise SystemExit(f"--dialer-archive-leads: at most {len(ids):,} for {leads:,} leads")
    ids = ids[:count]
    return ids, ids[-1]


async def _sql(port: int, statements: Sequence[str]) -> list[Any]:
    """Statements on a connection of the harness, kept out of the slow log; the first row
    of each result (or None)."""
    data = _DATASETS[port]
    conn = await connect(data.url)
    out: list[Any] = []
    try:
        async with conn.cursor() as cur:
            await cur.execute("SET SESSION long_query_time = 31536000")
            for sql in statements:
                await cur.execute(sql)
                out.append(await cur.fetchone() if cur.description else None)
    finally:
        conn.close()
    return out


_DATASETS: dict[int, Dataset] = {}


def sql(port: int, *statements: str) -> list[Any]:
    return asyncio.run(_sql(port, statements))


def prepare(engine: str, leads: int, fresh: bool) -> Dataset:
    """The generated dataset, with ``bench_template.vicidial_list`` kept aside (made once)."""
    data = open_dataset(engine, leads, fresh=fresh, prefix="dialer-")
    _DATASETS[data.server.port] = data
    if not data.meta.get("template"):
        sql(
            data.server.port,
            "CREATE DATABASE IF NOT EXISTS bench_template",
            "RENAME TABLE asterisk.vicidial_list TO bench_template.vicidial_list",
            "CREATE TABLE asterisk.vicidial_list LIKE bench_template.vicidial_list",
        )
        data.meta["template"] = True
        data._save()
    sql(
        data.server.port,
        # Every archiver statement into the slow log (switched on per phase); statements of
        # stored procedures too. The dialer and the harness opt out per session.
        "SET GLOBAL slow_query_log = OFF",
        "SET GLOBAL long_query_time = 0",
        "SET GLOBAL log_slow_disabled_statements = ''",
        "SET GLOBAL log_output = 'FILE'",
    )
    return data


def reset(run: Run, engine: str) -> float:
    """A fresh vicidial_list from the template, swapped in at once; empty archive and hopper."""
    started = time.perf_counter()
    myisam = engine == "MyISAM"
    sql(
        run.port,
        "DROP TABLE IF EXISTS vicidial_list_next, vicidial_list_old",
        "CREATE TABLE vicidial_list_next LIKE bench_template.vicidial_list",
        *(["ALTER TABLE vicidial_list_next DISABLE KEYS"] if myisam else []),
        "INSERT INTO vicidial_list_next SELECT * FROM bench_template.vicidial_list",
        *(["ALTER TABLE vicidial_list_next ENABLE KEYS"] if myisam else []),
        "RENAME TABLE vicidial_list TO vicidial_list_old, vicidial_list_next TO vicidial_list",
        "DROP TABLE vicidial_list_old",
        "TRUNCATE TABLE vicidial_list_archive",
        "DELETE FROM vicidial_hopper",
    )
    return time.perf_counter() - started


def checks(run: Run) -> dict[str, Any]:
    """Did the archiver do the whole job, and only it?"""
    columns = sql(
        run.port,
        "SELECT GROUP_CONCAT(CONCAT('BINARY a.`', column_name, '` <=> BINARY t.`', column_name,"
        " '`') ORDER BY ordinal_position SEPARATOR ' AND ') FROM information_schema.columns"
        " WHERE table_schema = 'asterisk' AND table_name = 'vicidial_list'",
    )[0][0]
    archived, left, active, expected, differ = sql(
        run.port,
        "SELECT COUNT(*) FROM vicidial_list_archive",
        f"SELECT COUNT(*) FROM vicidial_list WHERE {run.where}",
        f"SELECT COUNT(*) FROM vicidial_list WHERE lead_id <= {run.leads} AND list_id > 1005",
        "SELECT COUNT(*) FROM bench_template.vicidial_list WHERE list_id > 1005",
        "SELECT COUNT(*) FROM vicidial_list_archive a JOIN bench_template.vicidial_list t"
        f" USING (lead_id) WHERE NOT ({columns})",
    )
    return {
        "archived": int(archived[0]),
        "left_in_vicidial_list": int(left[0]),
        "dialer_leads_lost": int(expected[0]) - int(active[0]),
        "archive_copies_differing": int(differ[0]),
    }


def run_archiver(run: Run, phase: Phase, gateway_base: str) -> ClientRun:
    ids = run.archive_ids
    if phase.kind == "client-direct":
        return bulk_client(ids, db_port=run.port, extra=phase.flags)
    if phase.kind == "client-http":
        return bulk_client(ids, url=gateway_base, key=run.data.key, extra=phase.flags)
    if phase.kind == "call-loop":
        return asyncio.run(call_loop(run.data.url, ids))
    return pt_archiver(run.port, run.where, leads=len(ids), flags=phase.flags)


def dialer_stats(records: list[tuple[str, float, float, int]], w: Window) -> dict[str, Any]:
    """Latency of the operations scheduled in the window (each with its whole wait, even when
    it ended later), how many per second ended in it, and the largest backlog."""
    mine = [r for r in records if w.start <= r[1] < w.end]
    by_kind: dict[str, list[float]] = {}
    for kind, _, ms, _ in mine:
        by_kind.setdefault(kind, []).append(ms)
    seconds = max(w.end - w.start, 1e-9)
    done = sum(1 for r in records if w.start <= r[1] + r[2] / 1000 < w.end)
    events = sorted(
        [(r[1], 1) for r in records if r[1] < w.end]
        + [(r[1] + r[2] / 1000, -1) for r in records if r[1] < w.end]
    )
    due = peak = 0
    for when, step in events:
        due += step
        if w.start <= when < w.end:
            peak = max(peak, due)
    return {
        "all": latency([r[2] for r in mine]),
        "by_kind": {k: latency(v) for k, v in sorted(by_kind.items())},
        "errors": sum(1 for r in mine if not r[3]),
        "scheduled_per_second": round(len(mine) / seconds, 1),
        "completed_per_second": round(done / seconds, 1),
        "largest_backlog": peak,
    }


def wait_drained(
    status: Path, late_ms: float = 100, quiet: float = 1.0, timeout: float = 600
) -> float:
    """Wait until no operation of the dialer has been waiting more than ``late_ms`` for
    ``quiet`` seconds; how long it took (from now until that calm began)."""
    started = time.monotonic()
    calm_since: float | None = None
    while time.monotonic() - started < timeout:
        state = dialer.backlog(status)
        now = time.monotonic()
        if state is not None and now - state[0] < 1 and state[2] < late_ms:
            calm_since = calm_since or now
            if now - calm_since >= quiet:
                return round(calm_since - started, 2)
        else:
            calm_since = None
        time.sleep(0.05)
    raise RuntimeError(f"the dialer did not catch up within {timeout:.0f} s")


def in_window(records: list[tuple[str, float, float, int]], w: Window) -> list[Any]:
    return [r for r in records if w.start <= r[1] < w.end]


def measure_engine(ctx: Context, engine: str, phases: Sequence[Phase]) -> dict[str, Any]:
    o = ctx.options
    leads = 1_000_000 if o.get("dialer_1m") else int(o.get("dialer_leads", 200_000))
    idle = float(o.get("dialer_idle", 10))
    rounds = max(1, int(o.get("dialer_rounds", 1)))
    data = prepare(engine, leads, ctx.fresh)
    ids, bound = archive_set(leads, int(o.get("dialer_archive_leads", 60_000)))
    workdir = data.path / "runs" / time.strftime("%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True)
    run = Run(data, leads, ids, bound, workdir, o)
    version = sql(run.port, "SELECT VERSION()")[0][0]
    phases_out: list[dict[str, Any]] = []
    ops_file = workdir / "dialer.tsv"
    run.status = workdir / "dialer.status"
    try:
        with gateway(run.port, log=workdir / "gateway.log") as gw:
            reset(run, engine)
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.dialer",
                    "--port",
                    str(run.port),
                    "--leads",
                    str(leads),
                    "--rate",
                    str(o.get("dialer_rate", 200)),
                    "--connections",
                    str(o.get("dialer_connections", 4)),
                    "--mix",
                    str(o.get("dialer_mix", dialer.DEFAULT_MIX)),
                    "--out",
                    str(ops_file),
                    "--status",
                    str(run.status),
                ],
                stdout=subprocess.DEVNULL,
            )
            try:
                time.sleep(3)  # connections up, caches warm: not measured
                for k in range(rounds):
                    # rotated each round, so that no archiver always follows the same one
                    shift = k % len(phases) if phases else 0
                    turn = [*phases[shift:], *phases[:shift]]
                    for phase in turn:
                        named = (
                            replace(phase, name=f"{phase.name}#{k + 1}") if rounds > 1 else phase
                        )
                        phases_out.append(_phase(run, engine, named, gw.base, idle))
                wait_drained(run.status)
                start = time.monotonic()
                time.sleep(idle)
                run.windows.append(Window("idle", "final", start, time.monotonic()))
            finally:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=120)
    finally:
        data.close()
        _DATASETS.pop(data.server.port, None)
    records = dialer.read(ops_file)
    idle_windows = [w for w in run.windows if w.label == "idle"]
    idle_records = [r for w in idle_windows for r in in_window(records, w)]
    idle_p99 = [dialer_stats(records, w)["all"]["p99"] for w in idle_windows]
    for out in phases_out:
        if not out["ran"]:
            continue
        (busy,) = [w for w in run.windows if w.label == "archiving" and w.phase == out["name"]]
        (calm,) = [w for w in idle_windows if w.phase == out["name"]]
        out["dialer"] = dialer_stats(records, busy)
        out["dialer_idle_before"] = dialer_stats(records, calm)
        base = out["dialer_idle_before"]["all"]["p99"]
        out["p99_over_idle"] = round(out["dialer"]["all"]["p99"] / base, 1) if base else None
    if rounds > 1:
        phases_out = [median_of_rounds(p.name, phases_out) for p in phases]
    return {
        "server": version,
        "leads": leads,
        "archive_leads": len(ids),
        "dialer": {
            "rate": o.get("dialer_rate", 200),
            "connections": o.get("dialer_connections", 4),
            "mix": o.get("dialer_mix", dialer.DEFAULT_MIX),
            "operations": len(records),
        },
        "baseline": {
            "dialer": {
                "all": latency([r[2] for r in idle_records]),
                "by_kind": {
                    k: latency([r[2] for r in idle_records if r[0] == k]) for k in dialer.KINDS
                },
                "errors": sum(1 for r in idle_records if not r[3]),
            },
            "p99_noise": noise(idle_p99),
            "windows": len(idle_windows),
            "idle_seconds": idle,
        },
        "phases": phases_out,
        "slow_logs": str(workdir),
    }


def _phase(run: Run, engine: str, phase: Phase, base: str, idle: float) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": phase.name,
        "kind": phase.kind,
        "flags": list(phase.flags),
        "ran": False,
        "measured_at": time.strftime("%Y-%m-%d %H:%M"),
    }
    if phase.kind.startswith("client-") and (refusal := client_rejects(phase.flags)):
        out["not_run"] = f"the client rejects {' '.join(phase.flags)}: {refusal}"
        print(f"  D1 {engine} {phase.name}: not run ({refusal})", flush=True)
        return out
    count = max(1, round(len(run.archive_ids) * phase.share))
    run = replace(run, archive_ids=run.archive_ids[:count], bound=run.archive_ids[count - 1])
    out["leads"] = count
    out["reset_seconds"] = round(reset(run, engine), 1)
    out["dialer_catch_up_after_reset_s"] = wait_drained(run.status)
    start = time.monotonic()
    time.sleep(idle)
    run.windows.append(Window("idle", phase.name, start, time.monotonic()))
    slow = run.workdir / f"{phase.name}.slow"
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    logging = not run.options.get("dialer_no_lock_log")
    if logging:
        sql(
            run.port, f"SET GLOBAL slow_query_log_file = '{slow}'", "SET GLOBAL slow_query_log = ON"
        )
    start = time.monotonic()
    try:
        done = run_archiver(run, phase, base)
    except Exception as exc:  # one archiver failing does not cost the others' figures
        done = ClientRun(0, 0.0, -1, f"{type(exc).__name__}: {exc}")
    finally:
        end = time.monotonic()
        sql(run.port, "SET GLOBAL slow_query_log = OFF")
    run.windows.append(Window("archiving", phase.name, start, end))
    # How long the dialer still needed to serve what was due when the archiver finished.
    out["dialer_catch_up_s"] = wait_drained(run.status)
    out["exit"] = done.returncode
    if done.returncode not in (0, 1):
        out["not_run"] = f"exited {done.returncode}: {done.stderr.strip()[-300:]}"
        print(f"  D1 {engine} {phase.name}: failed ({out['not_run']})", flush=True)
        return out
    out["ran"] = True
    out["seconds"] = round(end - start, 2)
    out.update(checks(run))
    moved = len(run.archive_ids) - out["left_in_vicidial_list"]
    out["leads_per_second"] = round(moved / (end - start))
    out["lock"] = locktime.summarise(slow, moved) if logging else {}
    print(
        f"  D1 {engine} {phase.name}: {out['leads_per_second']:,} leads/s, vicidial_list held "
        f"{out['lock'].get('ms_per_1000_leads')} ms per 1,000 leads (longest "
        f"{out['lock'].get('longest_ms')} ms)",
        flush=True,
    )
    return out


def median_of_rounds(name: str, measured: list[dict[str, Any]]) -> dict[str, Any]:
    """One phase's rounds (``name#1``, ``name#2`` …) as one entry: the round with the median
    dialer p99 gives the detail (per operation, statements), and each headline figure is the
    median of its own over the rounds; every round's figures are kept under ``rounds``."""
    mine = [p for p in measured if p["name"].rsplit("#", 1)[0] == name]
    ran = [p for p in mine if p["ran"]]
    if not ran:
        return {**mine[0], "name": name}
    ran.sort(key=lambda p: p["dialer"]["all"]["p99"])
    out = {**ran[(len(ran) - 1) // 2], "name": name}

    def med(get: Any) -> Any:
        values = [v for p in ran if (v := get(p)) is not None]
        return statistics.median(values) if values else None

    out["leads_per_second"] = round(med(lambda p: p["leads_per_second"]))
    out["p99_over_idle"] = round(med(lambda p: p["p99_over_idle"]), 1)
    out["dialer"] = {
        **out["dialer"],
        "all": {**out["dialer"]["all"], "p99": round(med(lambda p: p["dialer"]["all"]["p99"]), 2)},
    }
    if out.get("lock"):
        out["lock"] = {
            **out["lock"],
            "ms_per_1000_leads": round(med(lambda p: p["lock"].get("ms_per_1000_leads")), 2),
            "longest_ms": round(med(lambda p: p["lock"].get("longest_ms")), 2),
        }
    out["rounds"] = [
        {
            "name": p["name"],
            "measured_at": p["measured_at"],
            "leads_per_second": p["leads_per_second"],
            "lock_ms_per_1000_leads": p.get("lock", {}).get("ms_per_1000_leads"),
            "longest_ms": p.get("lock", {}).get("longest_ms"),
            "dialer_p99": p["dialer"]["all"]["p99"],
            "idle_p99": p["dialer_idle_before"]["all"]["p99"],
            "p99_over_idle": p["p99_over_idle"],
        }
        for p in sorted(ran, key=lambda p: str(p["name"]))
    ] + [{"name": p["name"], "not_run": p.get("not_run")} for p in mine if not p["ran"]]
    return out


def measure(ctx: Context) -> dict[str, Any]:
    o = ctx.options
    wanted = {p for p in str(o.get("dialer_phases") or "").split(",") if p}
    chosen = [p for p in (*PHASES, *o.get("dialer_phase", [])) if not wanted or p.name in wanted]
    engines: dict[str, Any] = {}
    for engine in str(o.get("dialer_engines", "MyISAM,InnoDB")).split(","):
        phases = [p for p in chosen if engine in p.engines]
        try:
            engines[engine] = measure_engine(ctx, engine, phases)
        except Exception as exc:  # the other engine's figures are kept
            print(f"  D1 {engine} failed: {type(exc).__name__}: {exc}", flush=True)
            engines[engine] = {"error": f"{type(exc).__name__}: {exc}", "phases": []}
    return {"engines": {e: r for e, r in engines.items() if "error" not in r}} | {
        "errors": {e: r["error"] for e, r in engines.items() if "error" in r}
    }


def merge(previous: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Phases measured again (``--dialer-phases``) replace those of the same name in the
    day's results; the others are kept. Each phase carries its own idle baseline; the engine's
    baseline stays the first run's, the new run's is kept beside it under ``reruns``, unless
    the new run measured every phase again: then it is the engine's run."""
    engines = dict(previous.get("engines", {}))
    for engine, run in new.get("engines", {}).items():
        old = engines.get(engine)
        names = [p["name"] for p in run["phases"]]
        if (
            old is None
            or old.get("leads") != run.get("leads")
            or {p["name"] for p in old["phases"]} <= set(names)
        ):
            engines[engine] = run
            continue
        phases = [p for p in old["phases"] if p["name"] not in names] + run["phases"]
        order = {p.name: i for i, p in enumerate(PHASES)}
        phases.sort(key=lambda p: order.get(p["name"], len(order)))
        reruns = [*old.get("reruns", []), {"phases": names, "baseline": run["baseline"]}]
        engines[engine] = {**old, "phases": phases, "reruns": reruns}
    return {**previous, "engines": engines}


def rows(r: dict[str, Any]) -> list[Row]:
    out = []
    for engine, run in r.get("engines", {}).items():
        base = run["baseline"]
        worst = max(
            (p for p in run["phases"] if p["ran"]),
            key=lambda p: p["dialer"]["all"]["p99"],
            default=None,
        )
        if worst is None:
            continue
        out.append(
            Row(
                f"D1 dialer p99 while archiving, {engine} {run['leads']:,} rows (worst archiver:"
                f" {worst['name']}; idle p99 {base['p99_noise']['min']}-"
                f"{base['p99_noise']['max']} ms)",
                f"{worst['dialer']['all']['p99']} ms",
                "",
                "D1.dialer_p99",
                worst["dialer"]["all"]["p99"],
            )
        )
    return out


def table(r: dict[str, Any]) -> list[str]:
    kinds = ("disposition", "hopper", "lookup", "new_lead")
    lines = [
        "| D1 engine | archiver | leads/s | vicidial_list held, ms / 1,000 leads (longest) |"
        " dialer p50 / p95 / p99 ms | p99 / idle p99 | dialer ops/s done | largest backlog |"
        " catch-up s | disposition p99 | hopper p99 | lookup p99 | new lead p99 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for engine, run in r.get("engines", {}).items():
        base = run["baseline"]["dialer"]
        noise_ = run["baseline"]["p99_noise"]
        lines.append(
            f"| {engine} | dialer alone ({run['baseline']['windows']} idle windows of "
            f"{run['baseline']['idle_seconds']:g} s; their p99 {noise_['min']}-{noise_['max']} ms)"
            f" | | | {base['all']['p50']} / {base['all']['p95']} / {base['all']['p99']} | 1 |"
            f" {run['dialer']['rate']:g} scheduled | | |"
            + "".join(f" {base['by_kind'].get(k, {}).get('p99', '')} |" for k in kinds)
        )
        for p in run["phases"]:
            if not p["ran"]:
                lines.append(
                    f"| {engine} | {p['name']} | not run: {p.get('not_run', '')} |" + " |" * 10
                )
                continue
            d = p["dialer"]
            rounds = f" (median of {len(p['rounds'])} rounds)" if p.get("rounds") else ""
            lines.append(
                f"| {engine} | {p['name']}{rounds} | {p['leads_per_second']:,} | "
                f"{p['lock'].get('ms_per_1000_leads', '')} ({p['lock'].get('longest_ms', '')}) | "
                f"{d['all']['p50']} / {d['all']['p95']} / {d['all']['p99']} | "
                f"{p['p99_over_idle']} | {d['completed_per_second']} | {d['largest_backlog']} | "
                f"{p['dialer_catch_up_s']} |"
                + "".join(f" {d['by_kind'].get(k, {}).get('p99', '')} |" for k in kinds)
            )
    lines += ["", *verdicts(r)]
    lines += [
        "",
        "| D1 engine | archiver | statement on vicidial_list | statements | held ms |"
        " ms / 1,000 leads | longest ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for engine, run in r.get("engines", {}).items():
        for p in run["phases"]:
            for kind, k in p.get("lock", {}).get("by_kind", {}).items() if p["ran"] else ():
                lines.append(
                    f"| {engine} | {p['name']} | {kind} | {k['statements']:,} | {k['hold_ms']:,}"
                    f" | {k['ms_per_1000_leads']} | {k['longest_ms']} |"
                )
    return lines


# The targets of the lock-time work, each judged against pt-archiver's fastest flags measured
# in the same run on the same engine (a ratio, never a number from another day).
LOCK_CONTENDERS = ("call-loop", "client-direct", "client-http")
MAX_LOCK_PHASES = ("client-direct-max-lock-20", "client-http-max-lock-20")
PARALLEL_PHASES = ("client-direct-parallel4", "client-http-parallel4")


def verdicts(r: dict[str, Any]) -> list[str]:
    """One line per target and engine: the figure, pt-archiver's, and met or missed."""
    lines = ["| D1 engine | target | measured | pt-archiver fastest | |", "|---|---|---|---|---|"]
    for engine, run in r.get("engines", {}).items():
        ran = {p["name"]: p for p in run["phases"] if p["ran"]}
        pt = ran.get("pt-fastest")
        if pt is None:
            lines.append(f"| {engine} | all | pt-fastest not run: nothing to compare with | | |")
            continue
        pt_lock = pt["lock"].get("ms_per_1000_leads")
        pt_p99 = pt["dialer"]["all"]["p99"]
        for name in LOCK_CONTENDERS:
            if (p := ran.get(name)) is None:
                continue
            lock = p["lock"].get("ms_per_1000_leads")
            if lock is not None and pt_lock is not None:
                lines.append(
                    f"| {engine} | {name}: vicidial_list ms per 1,000 leads ≤ pt-archiver's |"
                    f" {lock} | {pt_lock} | {'met' if lock <= pt_lock else '**missed**'} |"
                )
            p99 = p["dialer"]["all"]["p99"]
            lines.append(
                f"| {engine} | {name}: dialer p99 at full speed ≤ pt-archiver's | {p99} ms"
                f" | {pt_p99} ms | {'met' if p99 <= pt_p99 else '**missed**'} |"
            )
        for name in MAX_LOCK_PHASES:
            if (p := ran.get(name)) is None:
                continue
            ok = p["p99_over_idle"] <= 3 and p["leads_per_second"] >= 2000
            lines.append(
                f"| {engine} | {name}: dialer p99 ≤ 3× idle at ≥ 2,000 leads/s |"
                f" {p['p99_over_idle']}× at {p['leads_per_second']:,} leads/s | |"
                f" {'met' if ok else '**missed**'} |"
            )
        for name in PARALLEL_PHASES if engine == "InnoDB" else ():
            if (p := ran.get(name)) is None:
                continue
            ratio = p["leads_per_second"] / max(pt["leads_per_second"], 1)
            ok = ratio >= 2 and p["dialer"]["all"]["p99"] <= pt_p99
            lines.append(
                f"| {engine} | {name}: ≥ 2× pt-archiver's leads/s, dialer p99 no worse |"
                f" {p['leads_per_second']:,} leads/s ({ratio:.2f}×), p99"
                f" {p['dialer']['all']['p99']} ms | {pt['leads_per_second']:,} leads/s, p99"
                f" {pt_p99} ms | {'met' if ok else '**missed**'} |"
            )
    return lines
