"""P3: leads/s of the bulk client over HTTP vs a direct CALL loop and pt-archiver."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bench.figures.common import Context, Row
from bench.processes import (
    PT_FASTEST,
    ClientRun,
    bulk_client,
    call_loop,
    gateway,
    pt_archiver,
    run_checked,
)
from bench.stats import med, spread

KEY = "P3"
NAMES = ("bulk_http", "direct_loop", "pt_fastest", "pt_default")


def measure(ctx: Context) -> dict[str, Any]:
    data = ctx.main
    # A lead is archived once: on a small table the runs get shorter rather than use it up.
    per_run = min(20_000 if ctx.quick else 50_000, data.leads // 12)
    rates: dict[str, list[float]] = {name: [] for name in NAMES}

    def pt(fastest: bool, count: int) -> ClientRun:
        ids = data.take(count)
        return pt_archiver(
            data.server.port,
            f"lead_id BETWEEN {ids[0]} AND {ids[-1]}",
            leads=len(ids),
            flags=PT_FASTEST if fastest else (),
        )

    with gateway(data.server.port) as gw:
        for k in range(ctx.reps):
            runs: list[tuple[str, Callable[[], ClientRun]]] = [
                ("bulk_http", lambda: bulk_client(data.take(per_run), url=gw.base, key=data.key)),
                ("direct_loop", lambda: asyncio.run(call_loop(data.url, data.take(per_run)))),
                ("pt_fastest", lambda: pt(True, per_run)),
                ("pt_default", lambda: pt(False, per_run // 4)),
            ]
            for name, run in runs[k % 4 :] + runs[: k % 4]:
                rates[name].append(run_checked(run(), name).rate)
                print(f"  P3 {name}: {rates[name][-1]:,.0f} leads/s", flush=True)
    m = {name: med(values) for name, values in rates.items()}
    return {
        "leads_per_run": per_run,
        "leads_per_second": {n: spread(v) for n, v in rates.items()},
        "http_vs_direct": round(m["bulk_http"] / m["direct_loop"], 3),
        "http_vs_pt_fastest": round(m["bulk_http"] / m["pt_fastest"], 3),
        "http_vs_pt_default": round(m["bulk_http"] / m["pt_default"], 3),
    }


def rows(r: dict[str, Any]) -> list[Row]:
    rate = {n: r["leads_per_second"][n]["median"] for n in NAMES}
    return [
        Row(
            "P3 bulk client over HTTP / direct CALL loop",
            f"{rate['bulk_http']:,.0f} / {rate['direct_loop']:,.0f} leads/s",
            f"{r['http_vs_direct']}×",
            "P3.http_vs_direct",
            r["http_vs_direct"],
        ),
        Row(
            "P3 bulk client over HTTP / pt-archiver fastest flags",
            f"… / {rate['pt_fastest']:,.0f} leads/s",
            f"{r['http_vs_pt_fastest']}×",
            "P3.http_vs_pt_fastest",
            r["http_vs_pt_fastest"],
        ),
        Row(
            "P3 bulk client over HTTP / pt-archiver defaults",
            f"… / {rate['pt_default']:,.0f} leads/s",
            f"{r['http_vs_pt_default']}×",
            "P3.http_vs_pt_default",
            r["http_vs_pt_default"],
        ),
    ]
