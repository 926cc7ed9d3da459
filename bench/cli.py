"""``python -m bench.suite``: every performance figure of Lead Archive, in one command.

    .venv/bin/python -m bench.suite [--sizes 100000,1000000,10000000] [--fresh] [--quick]
                                    [--only P1,P3,D1] [dialer options]

Needs Debian's ``percona-toolkit`` (pt-archiver) and ``wrk``; datasets are generated once in
``bench/.data`` (10,000,000 leads take several minutes and ~6 GB). Contenders are measured in
the same run, alternating, several repetitions; medians, spreads and ratios are written to
``bench/results/<date>.json`` (after each figure) and ``.md``, then PNG plots beside them.
Targets: :mod:`bench.targets`. D1 (the dialer's latency while each archiver runs) has its own
options, below.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench import plots, report
from bench.data import open_dataset
from bench.figures import FIGURES, dialer_impact
from bench.figures.common import Context

RESULTS = Path(__file__).resolve().parent / "results"
NEEDS_MAIN = {"P1", "P2", "P3", "P4", "P5", "P6", "L1"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench.suite", description="Every performance figure of Lead Archive."
    )
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--fresh", action="store_true", help="generate the datasets again")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--only",
        default=",".join(FIGURES),
        help="figures to measure, e.g. P3,P4,D1 (the others are kept from the latest results "
        "file of the day)",
    )
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="folder of the results (bench/results)"
    )
    dialer_impact.add_arguments(parser.add_argument_group("D1, dialer impact"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    only = [k.strip().upper() for k in args.only.split(",") if k.strip()]
    unknown = [k for k in only if k not in FIGURES]
    if unknown:
        sys.exit(f"bench.suite: unknown figure {', '.join(unknown)} (known: {', '.join(FIGURES)})")
    for tool in ("pt-archiver", "wrk"):
        if not shutil.which(tool):
            sys.exit(f"bench.suite needs {tool}: apt-get install percona-toolkit wrk")
    sizes = sorted(int(s) for s in args.sizes.split(","))
    stem = args.results / time.strftime("%Y-%m-%d")
    json_path = Path(f"{stem}.json")
    previous = report.read_json(json_path)
    results: dict[str, Any] = {
        **{k: v for k, v in previous.items() if k in FIGURES and k not in only},
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "measured_now": only,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "system": platform.platform(),
        },
    }
    myisam = (
        {n: open_dataset("MyISAM", n, fresh=args.fresh) for n in sizes}
        if NEEDS_MAIN & set(only)
        else {}
    )
    main_set = myisam.get(1_000_000) or (myisam[sizes[-1]] if myisam else None)
    ctx = Context(
        myisam=myisam,
        main=main_set,  # type: ignore[arg-type]  # None only when no figure needs it
        quick=args.quick,
        fresh=args.fresh,
        options=vars(args),
    )
    try:
        for key in only:
            print(f"{key} …", flush=True)
            results[key] = FIGURES[key].measure(ctx)
            if key == "D1" and args.dialer_phases and "D1" in previous:
                results[key] = dialer_impact.merge(previous["D1"], results[key])
            report.write_json(results, json_path)  # each figure is kept as soon as measured
    finally:
        for data in myisam.values():
            data.close()
    table = report.markdown(results)
    Path(f"{stem}.md").write_text(table)
    print(table)
    written, errors = plots.draw(results, stem, set(only))
    results["plots"] = sorted(set(previous.get("plots", [])) | set(written))
    if errors:
        results["plot_errors"] = errors
        for line in errors:
            print(f"plot failed: {line}", file=sys.stderr)
    report.write_json(results, json_path)
    print(f"results: {json_path}")
    return 0
