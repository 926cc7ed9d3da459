"""PNG plots of a results file. Drawn after the results are written: a plot that fails loses
no figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def latency_vs_size(p4: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    sizes = p4["batch_ms_by_leads"]
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
    fig.savefig(path, dpi=110)


def throughput(p3: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    rates = p3["leads_per_second"]
    names = ["bulk_http", "direct_loop", "pt_fastest", "pt_default"]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.bar(names, [rates[n]["median"] for n in names], color=["C0", "C0", "C7", "C7"])
    ax.set_ylabel("leads archived per second (median)")
    ax.set_title("P3 throughput, MyISAM")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def concurrency(p5: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for engine, rows in p5.items():
        clients = [r["clients"] for r in rows]
        ax.plot(clients, [r["latency_ms"]["p99"] for r in rows], marker="o", label=f"{engine} p99")
        ax.plot(
            clients,
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
    fig.savefig(path, dpi=110)


DRAWERS = {
    "P4": ("latency-vs-size", latency_vs_size),
    "P3": ("throughput", throughput),
    "P5": ("concurrency", concurrency),
}


def draw(results: dict[str, Any], stem: Path, only: set[str]) -> tuple[list[str], list[str]]:
    """Plots of the figures in ``only`` that are in ``results``: (files written, errors)."""
    written: list[str] = []
    errors: list[str] = []
    for key, (suffix, drawer) in DRAWERS.items():
        if key not in results or key not in only:
            continue
        path = Path(f"{stem}-{suffix}.png")
        try:
            drawer(results[key], path)
            written.append(path.name)
        except Exception as exc:  # a plot never costs the figures
            errors.append(f"{path.name}: {type(exc).__name__}: {exc}")
        finally:
            _pyplot().close("all")
    return written, errors
