"""Load tools shared by the benchmarks: wrk for request rates, /proc for resident memory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wrk(url: str, script: str, seconds: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", f.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = re.search(r"(\d+) requests in", out)
    assert match and total, out
    assert non2xx and non2xx.group(1) == total.group(1), "every request must be refused"
    return float(match.group(1))


def lua(key: str, body: str) -> str:
    return (
        'wrk.method = "POST"\n'
        f'wrk.headers["Authorization"] = "Key={key}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(body)}\n"
    )
