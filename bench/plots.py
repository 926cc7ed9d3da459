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


def dialer_impact(d1: dict[str, Any], path: Path) -> None:
    """Dialer p99 against leads/s, one point per archiver and engine; the idle windows' p99
    (min-max) as a band per engine."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 5))
    markers = {"MyISAM": "o", "InnoDB": "s"}
    for n, (engine, run) in enumerate(d1.get("engines", {}).items()):
        colour = f"C{n}"
        idle = run["baseline"]["p99_noise"]
        if idle.get("min") is not None:
            ax.axhspan(idle["min"], idle["max"], color=colour, alpha=0.12)
            ax.axhline(idle["median"], color=colour, linewidth=0.8, linestyle=":")
        for phase in run["phases"]:
            if not phase.get("ran"):
                continue
            x, y = phase["leads_per_second"], phase["dialer"]["all"]["p99"]
            ax.scatter([x], [y], marker=markers.get(engine, "o"), color=colour)
            ax.annotate(
                phase["name"], (x, y), fontsize=7, xytext=(4, 3), textcoords="offset points"
            )
        ax.scatter([], [], marker=markers.get(engine, "o"), color=colour, label=engine)
    ax.set_xlabel("leads archived per second")
    ax.set_ylabel("dialer p99 while archiving (ms, from the scheduled time)")
    ax.set_yscale("log")
    ax.set_title("Dialer impact: p99 vs archiving rate (band: dialer alone, min-max)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


DRAWERS = {
    "P4": ("latency-vs-size", latency_vs_size),
    "P3": ("throughput", throughput),
    "P5": ("concurrency", concurrency),
    "D1": ("dialer-impact", dialer_impact),
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
