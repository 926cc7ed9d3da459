"""What must never reach a log line: API keys, database passwords, lead data.

Tests register every key and password they create; lead data is represented by values the
sample leads always contain. Logs are scanned for all of them: the in-process gateway's for the
whole run (conftest.log_scan), every ``lead-archive serve`` started by a test
(tests.support.processes.serve).
"""

from __future__ import annotations

import logging

SECRETS: set[str] = set()
LEAD_DATA = ("García", "Nguyễn", "Dvořák", "Łukasz", "call back after 5", "@example.com")


def register(secret: str) -> str:
    SECRETS.add(secret)
    return secret


class CapturingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def assert_clean(lines: list[str], where: str) -> None:
    text = "\n".join(lines)
    leaked = sorted(s for s in SECRETS | set(LEAD_DATA) if s and s in text)
    assert not leaked, f"{where}: {len(leaked)} secret or lead value(s) in the logs"
