"""Prometheus metrics of the gateway.

``lead-archive serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a private, empty directory before
uvicorn starts, so that with ``--workers N`` each worker writes its counters and histograms there
(prometheus_client's multiprocess mode) and a scrape of ``/metrics``, whichever worker answers
it, reports the sum over all workers, including workers that have exited since. There are no
gauges, so nothing needs ``mark_process_dead``. Without that variable (an app built in-process:
the tests, the demo) the metrics are this process's alone.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as _generate
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "lead_archive_requests",
    "HTTP requests by route and answer code",
    ["route", "code"],
    registry=REGISTRY,
)
LEADS = Counter(
    "lead_archive_leads",
    "Leads by outcome (inserted, updated, deleted, kept)",
    ["direction", "outcome"],
    registry=REGISTRY,
)
CALL_SECONDS = Histogram(
    "lead_archive_call_seconds",
    "Duration of the procedure call",
    ["direction"],
    registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def generate() -> bytes:
    """The exposition text: summed over every worker's files in multiprocess mode."""
    directory = os.environ.get(MULTIPROC_DIR)
    if directory:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        return _generate(registry)
    return _generate(REGISTRY)
