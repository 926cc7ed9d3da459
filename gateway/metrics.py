"""Prometheus metrics of the gateway (per process: with several workers each has its own)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as _generate

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
    return _generate(REGISTRY)
