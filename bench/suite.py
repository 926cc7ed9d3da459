"""Every performance figure of Lead Archive, in one command.

    .venv/bin/python -m bench.suite [--sizes 100000,1000000,10000000] [--fresh] [--quick]

Needs Debian's ``percona-toolkit`` (pt-archiver) and ``wrk``; datasets are generated once in
``bench/.data`` (10,000,000 leads take several minutes and ~6 GB). Contenders are measured in
the same run, alternating, several repetitions; medians, spreads and ratios are printed and
written to ``bench/results/<date>.json`` and ``.md``, with PNG plots beside them.

| figure | what | target |
|---|---|---|
| P1 | batch of 500: archive_leads vs plain INSERT…SELECT + DELETE, 1M MyISAM | ≤ 1.3× |
| P2 | HTTP request vs direct CALL, same batches | ≤ 1.15× |
| P3 | leads/s: bulk client (HTTP) vs CALL loop, pt-archiver fast, default | ≥ 0.9×, 1.25×, 4× |
| P4 | batch time at the largest vs the smallest table | ≤ 1.3× |
| P5 | 1, 4, 16 concurrent clients, disjoint ids, MyISAM and InnoDB: leads/s, p99 | no errors |
| P6 | gateway RSS after 10k requests; refusals per second | ≤ 80 MB; ≥ 2,000/s |
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.archive_batch import PLAIN_COPY, PLAIN_DELETE, timed
from bench.data import Dataset, open_dataset
from bench.load import lua, rss_mb, wrk
from gateway.db import call_procedure, connect
from gateway.dev.mariadb_server import free_port

RESULTS = Path(__file__).resolve().parent / "results"
BATCH = 500
FLAGS = {"insert_leads": True, "update_leads": True, "delete_leads": True}


def med(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> dict[str, float]:
    q = statistics.quantiles(values, n=100) if len(values) > 2 else [min(values)] * 99
    return {
        "median": round(med(values), 2),
        "p25": round(q[24], 2),
        "p75": round(q[74], 2),
        "p99": round(q[98], 2),
        "n": len(values),
    }


@contextmanager
def gateway_for(data: Dataset, workers: int = 1) -> Iterator[str]:
    env = {
        **os.environ,
        "LEAD_ARCHIVE_DATABASE_URL": f"mysql://root@127.0.0.1:{data.server.port}/asterisk",
        "LEAD_ARCHIVE_OFFICE_HOURS": "none",
        "LEAD_ARCHIVE_POOL_SIZE": "20",
    }
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait()


async def p1_p2(data: Dataset, rounds: int) -> dict[str, Any]:
    conn = await connect(data.url)
    ours: list[float] = []
    plain: list[float] = []
    http_ms: list[float] = []
    direct: list[float] = []
    with gateway_for(data) as base:
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            headers = {"Authorization": f"Key={data.key}"}

            async def via_http(ids: list[int]) -> float:
                started = time.perf_counter()
                response = await client.post(
                    "/vicidial/leads/archive", headers=headers, json={**FLAGS, "lead_ids": ids}
                )
                assert response.status_code == 200, response.text
                return (time.perf_counter() - started) * 1000

            async def via_call(ids: list[int]) -> float:
                return await timed(conn, [f"CALL archive_leads('{json.dumps(ids)}', 1, 1, 1)"])

            async def via_plain(ids: list[int]) -> float:
                text = ",".join(map(str, ids))
                return await timed(conn, [PLAIN_COPY.format(text), PLAIN_DELETE.format(text)])

            contenders: list[tuple[list[float], Callable[[list[int]], Awaitable[float]]]] = [
                (ours, via_call),
                (plain, via_plain),
                (http_ms, via_http),
                (direct, via_call),
            ]
            for k in range(rounds + 2):
                order = contenders[k % 4 :] + contenders[: k % 4]
                for sink, run in order:
                    ms = await run(data.take(BATCH))
                    if k >= 2:
                        sink.append(ms)
    conn.close()
    return {
        "P1": {
            "leads": data.leads,
            "archive_leads_ms": spread(ours),
            "plain_sql_ms": spread(plain),
            "ratio": round(med(ours) / med(plain), 3),
            "target": 1.3,
        },
        "P2": {
            "http_ms": spread(http_ms),
            "direct_call_ms": spread(direct),
            "ratio": round(med(http_ms) / med(direct), 3),
            "target": 1.15,
        },
    }


def pt_archiver(data: Dataset, ids: list[int], fastest: bool) -> float:
    flags = ["--bulk-insert", "--bulk-delete", "--limit", "500", "--txn-size", "500"]
    started = time.perf_counter()
    subprocess.run(
        [
            "pt-archiver",
            "--source",
            f"h=127.0.0.1,P={data.server.port},u=root,D=asterisk,t=vicidial_list",
            "--dest",
            "t=vicidial_list_archive",
            "--where",
            f"lead_id BETWEEN {ids[0]} AND {ids[-1]}",
            "--no-check-charset",
            *(flags if fastest else []),
        ],
        check=True,
        capture_output=True,
    )
    return len(ids) / (time.perf_counter() - started)


def bulk_http(data: Dataset, base: str, ids: list[int], parallel: int = 2) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ids"
        path.write_text("\n".join(map(str, ids)))
        env = {**os.environ, "LEAD_ARCHIVE_KEY": data.key}
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "gateway.cli",
                "archive",
                "--url",
                base,
                "--ids-file",
                str(path),
                "--state-file",
                str(Path(tmp) / "state"),
                "--parallel",
                str(parallel),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-500:]
    return len(ids) / seconds


async def direct_loop(data: Dataset, ids: list[int]) -> float:
    conn = await connect(data.url)
    started = time.perf_counter()
    for i in range(0, len(ids), BATCH):
        await call_procedure(
            conn,
            "lead_archive_move",
            ["archive", "bench", "loop", json.dumps(ids[i : i + BATCH]), 1, 1, 1],
        )
    seconds = time.perf_counter() - started
    conn.close()
    return len(ids) / seconds


def p3(data: Dataset, reps: int, leads_per_run: int) -> dict[str, Any]:
    rates: dict[str, list[float]] = {
        "bulk_http": [],
        "direct_loop": [],
        "pt_fastest": [],
        "pt_default": [],
    }
    with gateway_for(data) as base:
        for k in range(reps):
            runs: list[tuple[str, Callable[[], float]]] = [
                ("bulk_http", lambda: bulk_http(data, base, data.take(leads_per_run))),
                ("direct_loop", lambda: asyncio.run(direct_loop(data, data.take(leads_per_run)))),
                ("pt_fastest", lambda: pt_archiver(data, data.take(leads_per_run), True)),
                ("pt_default", lambda: pt_archiver(data, data.take(leads_per_run // 4), False)),
            ]
            for name, run in runs[k % 4 :] + runs[: k % 4]:
                rates[name].append(run())
                print(f"  P3 {name}: {rates[name][-1]:,.0f} leads/s", flush=True)
    m = {name: med(values) for name, values in rates.items()}
    return {
        "leads_per_second": {n: spread(v) for n, v in rates.items()},
        "http_vs_direct": round(m["bulk_http"] / m["direct_loop"], 3),
        "http_vs_pt_fastest": round(m["bulk_http"] / m["pt_fastest"], 3),
        "http_vs_pt_default": round(m["bulk_http"] / m["pt_default"], 3),
        "targets": {"http_vs_direct": 0.9, "http_vs_pt_fastest": 1.25, "http_vs_pt_default": 4.0},
    }


async def p4(datasets: list[Dataset], rounds: int) -> dict[str, Any]:
    """archive_leads at the smallest and the largest table, and plain SQL doing the same copy
    and delete at both: the baseline shows what the table size costs any archiver."""
    conns = [await connect(d.url) for d in datasets]
    ours: dict[int, list[float]] = {d.leads: [] for d in datasets}
    plain: dict[int, list[float]] = {d.leads: [] for d in datasets}
    for k in range(rounds + 2):
        for d, conn in list(zip(datasets, conns, strict=True))[:: (1 if k % 2 else -1)]:
            ids = d.take(BATCH)
            ms = await timed(conn, [f"CALL archive_leads('{json.dumps(ids)}', 1, 1, 1)"])
            text = ",".join(map(str, d.take(BATCH)))
            base = await timed(conn, [PLAIN_COPY.format(text), PLAIN_DELETE.format(text)])
            if k >= 2:
                ours[d.leads].append(ms)
                plain[d.leads].append(base)
    for conn in conns:
        conn.close()
    small, large = sorted(ours)[0], sorted(ours)[-1]
    return {
        "batch_ms_by_leads": {str(n): spread(v) for n, v in ours.items()},
        "plain_sql_ms_by_leads": {str(n): spread(v) for n, v in plain.items()},
        "ratio_largest_smallest": round(med(ours[large]) / med(ours[small]), 3),
        "plain_sql_ratio_largest_smallest": round(med(plain[large]) / med(plain[small]), 3),
        "target": 1.3,
    }


async def p5_one(data: Dataset, base: str, clients: int, batches: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    sets = [data.take(batches * BATCH) for _ in range(clients)]

    async def client(ids: list[int]) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=300) as http:
            for i in range(0, len(ids), BATCH):
                started = time.perf_counter()
                response = await http.post(
                    "/vicidial/leads/archive",
                    headers={"Authorization": f"Key={data.key}"},
                    json={**FLAGS, "lead_ids": ids[i : i + BATCH]},
                )
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    code = str(response.json().get("code"))
                    errors[code] = errors.get(code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client(ids) for ids in sets))
    seconds = time.perf_counter() - started
    return {
        "clients": clients,
        "leads_per_second": round(clients * batches * BATCH / seconds),
        "latency_ms": spread(latencies),
        "errors": errors,
    }


def p5(datasets: list[Dataset], batches: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for data in datasets:
        with gateway_for(data, workers=2) as base:
            out[data.engine] = [asyncio.run(p5_one(data, base, c, batches)) for c in (1, 4, 16)]
            for row in out[data.engine]:
                print(
                    f"  P5 {data.engine} {row['clients']:>2} clients: "
                    f"{row['leads_per_second']:,} leads/s, p99 {row['latency_ms']['p99']} ms,"
                    f" errors {row['errors']}",
                    flush=True,
                )
    return out


async def p6(data: Dataset, seconds: int) -> dict[str, Any]:
    port = free_port()
    env = {
        **os.environ,
        "LEAD_ARCHIVE_DATABASE_URL": f"mysql://root@127.0.0.1:{data.server.port}/asterisk",
        "LEAD_ARCHIVE_OFFICE_HOURS": "none",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            for _ in range(200):
                try:
                    await client.get("/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            bad_body = wrk(base + "/vicidial/leads/archive", lua(data.key, "not json"), seconds)
            sem = asyncio.Semaphore(8)
            headers = {"Authorization": f"Key={data.key}", "Content-Type": "application/json"}

            async def one(i: int) -> None:
                async with sem:
                    if i % 100 == 0:  # some real archive calls among the refusals
                        ids = data.take(20)
                        await client.post(
                            "/vicidial/leads/archive",
                            headers=headers,
                            json={**FLAGS, "lead_ids": ids},
                        )
                    else:
                        await client.post(
                            "/vicidial/leads/archive",
                            headers=headers,
                            content=b'{"insert_leads": true}',
                        )

            start_rss = rss_mb(process.pid)
            await asyncio.gather(*(one(i) for i in range(10_000)))
            end_rss = rss_mb(process.pid)
            bad_key = wrk(base + "/vicidial/leads/archive", lua("la_" + "x" * 43, "{}"), seconds)
    finally:
        process.terminate()
        process.wait()
    return {
        "rss_mb_start": round(start_rss, 1),
        "rss_mb_after_10k": round(end_rss, 1),
        "refused_per_second_bad_body": round(bad_body),
        "refused_per_second_bad_key": round(bad_key),
        "targets": {"rss_mb": 80, "refused_per_second": 2000},
    }


def plots(results: dict[str, Any], stem: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    sizes = results["P4"]["batch_ms_by_leads"]
    xs = sorted(int(s) for s in sizes)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(
        xs,
        [sizes[str(x)]["median"] for x in xs],
        yerr=[
            [sizes[str(x)]["median"] - sizes[str(x)]["p25"] for x in xs],
            [sizes[str(x)]["p75"] - sizes[str(x)]["median"] for x in xs],
        ],
        marker="o",
        capsize=4,
    )
    ax.set_xscale("log")
    ax.set_xlabel("leads in vicidial_list")
    ax.set_ylabel("archive_leads, 500 ids (ms, median, p25-p75)")
    ax.set_title("P4 batch latency vs table size (MyISAM)")
    ax.set_ylim(bottom=0)
    fig.tight_layout()
    fig.savefig(f"{stem}-latency-vs-size.png", dpi=110)
    written.append(f"{stem.name}-latency-vs-size.png")

    rates = results["P3"]["leads_per_second"]
    fig, ax = plt.subplots(figsize=(6, 4))
    names = ["bulk_http", "direct_loop", "pt_fastest", "pt_default"]
    ax.bar(names, [rates[n]["median"] for n in names], color=["C0", "C0", "C7", "C7"])
    ax.set_ylabel("leads archived per second (median)")
    ax.set_title("P3 throughput, 1M MyISAM leads")
    fig.tight_layout()
    fig.savefig(f"{stem}-throughput.png", dpi=110)
    written.append(f"{stem.name}-throughput.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    for engine, rows in results["P5"].items():
        ax.plot(
            [r["clients"] for r in rows],
            [r["latency_ms"]["p99"] for r in rows],
            marker="o",
            label=f"{engine} p99",
        )
        ax.plot(
            [r["clients"] for r in rows],
            [r["latency_ms"]["median"] for r in rows],
            marker=".",
            linestyle="--",
            label=f"{engine} median",
        )
    ax.set_xscale("log", base=2)
    ax.set_xlabel("concurrent clients")
    ax.set_ylabel("batch latency (ms)")
    ax.set_title("P5 latency vs concurrency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(f"{stem}-concurrency.png", dpi=110)
    written.append(f"{stem.name}-concurrency.png")
    plt.close("all")
    return written


def markdown(results: dict[str, Any]) -> str:
    p1, p2, p3, p4, p6 = (results[k] for k in ("P1", "P2", "P3", "P4", "P6"))
    rows = [
        (
            f"P1 batch cost: archive_leads / plain SQL ({p1.get('leads', 0):,} MyISAM leads,"
            " 500 ids)",
            f"{p1['archive_leads_ms']['median']} / {p1['plain_sql_ms']['median']} ms",
            f"{p1['ratio']}×",
            "≤ 1.3×",
        ),
        (
            "P2 gateway overhead: HTTP / direct CALL",
            f"{p2['http_ms']['median']} / {p2['direct_call_ms']['median']} ms",
            f"{p2['ratio']}×",
            "≤ 1.15×",
        ),
        (
            "P3 bulk client over HTTP / direct CALL loop",
            f"{p3['leads_per_second']['bulk_http']['median']:,.0f} / "
            f"{p3['leads_per_second']['direct_loop']['median']:,.0f} leads/s",
            f"{p3['http_vs_direct']}×",
            "≥ 0.9×",
        ),
        (
            "P3 bulk client over HTTP / pt-archiver fastest flags",
            f"… / {p3['leads_per_second']['pt_fastest']['median']:,.0f} leads/s",
            f"{p3['http_vs_pt_fastest']}×",
            "≥ 1.25×",
        ),
        (
            "P3 bulk client over HTTP / pt-archiver defaults",
            f"… / {p3['leads_per_second']['pt_default']['median']:,.0f} leads/s",
            f"{p3['http_vs_pt_default']}×",
            "≥ 4×",
        ),
        (
            "P4 batch at largest / smallest table",
            ", ".join(f"{int(n):,}: {v['median']} ms" for n, v in p4["batch_ms_by_leads"].items()),
            f"{p4['ratio_largest_smallest']}×",
            "≤ 1.3×",
        ),
        (
            "P4 baseline: plain SQL at the same two sizes",
            ", ".join(
                f"{int(n):,}: {v['median']} ms" for n, v in p4["plain_sql_ms_by_leads"].items()
            ),
            f"{p4['plain_sql_ratio_largest_smallest']}×",
            "(what size costs any archiver)",
        ),
        (
            "P6 gateway RSS after 10,000 requests",
            f"{p6['rss_mb_start']} → {p6['rss_mb_after_10k']} MB",
            "",
            "≤ 80 MB",
        ),
        (
            "P6 refusals per second (8 connections)",
            f"bad body {p6['refused_per_second_bad_body']:,}"
            f", bad key {p6['refused_per_second_bad_key']:,}",
            "",
            "≥ 2,000/s",
        ),
    ]
    out = ["| figure | measured | ratio | target |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    out += [
        "",
        "| P5 engine | clients | leads/s | median ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
    ]
    for engine, p5rows in results["P5"].items():
        out += [
            f"| {engine} | {r['clients']} | {r['leads_per_second']:,} | "
            f"{r['latency_ms']['median']} | {r['latency_ms']['p99']} | "
            f"{sum(r['errors'].values())} |"
            for r in p5rows
        ]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--fresh", action="store_true", help="generate the datasets again")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--only",
        default="P1,P2,P3,P4,P5,P6",
        help="figures to measure, e.g. P3,P4 (the others are kept from the "
        "latest results file of the day)",
    )
    args = parser.parse_args()
    for tool in ("pt-archiver", "wrk"):
        if not shutil.which(tool):
            sys.exit(f"bench.suite needs {tool}: apt-get install percona-toolkit wrk")
    sizes = sorted(int(s) for s in args.sizes.split(","))
    reps = 2 if args.quick else 3
    rounds = 8 if args.quick else 15
    only = set(args.only.upper().split(","))
    stem = RESULTS / time.strftime("%Y-%m-%d")
    previous = json.loads(Path(f"{stem}.json").read_text()) if Path(f"{stem}.json").exists() else {}
    results: dict[str, Any] = {
        **{k: v for k, v in previous.items() if k.startswith("P") and k not in only},
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "measured_now": sorted(only),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
    }
    myisam = {n: open_dataset("MyISAM", n, fresh=args.fresh) for n in sizes}
    main_set = myisam[1_000_000] if 1_000_000 in myisam else myisam[sizes[-1]]
    try:
        if only & {"P1", "P2"}:
            print("P1, P2 …", flush=True)
            results.update(asyncio.run(p1_p2(main_set, rounds)))
        if "P3" in only:
            print("P3 …", flush=True)
            results["P3"] = p3(main_set, reps, 20_000 if args.quick else 50_000)
        if "P4" in only:
            print("P4 …", flush=True)
            results["P4"] = asyncio.run(p4([myisam[sizes[0]], myisam[sizes[-1]]], rounds))
        if "P5" in only:
            innodb = open_dataset(
                "InnoDB", 1_000_000 if not args.quick else sizes[0], fresh=args.fresh
            )
            try:
                print("P5 …", flush=True)
                results["P5"] = p5([main_set, innodb], 4 if args.quick else 8)
            finally:
                innodb.close()
        if "P6" in only:
            print("P6 …", flush=True)
            results["P6"] = asyncio.run(p6(main_set, 5 if args.quick else 10))
    finally:
        for data in myisam.values():
            data.close()
    RESULTS.mkdir(exist_ok=True)
    results["plots"] = plots(results, stem)
    Path(f"{stem}.json").write_text(json.dumps(results, indent=1))
    table = markdown(results)
    Path(f"{stem}.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
