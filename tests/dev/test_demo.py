"""``lead-archive demo``: starts clean, its printed curl archives leads as soon as it is shown,
Ctrl-C cleans up."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _accepts(port: int) -> bool:
    """One connection attempt, no retry."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def test_demo_prints_a_working_curl_and_cleans_up(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "demo", "--leads", "500", "--port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("LEAD_ARCHIVE_")},
    )
    assert process.stdout is not None
    printed = []
    listening = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        printed.append(line)
        shown = re.search(r"curl -s -X POST http://127\.0\.0\.1:(\d+)/", line)
        if shown and listening is None:  # the moment the curl is shown, the port is open
            listening = _accepts(int(shown.group(1)))
        if "Ctrl-C stops" in line or not line:
            break
    text = "".join(printed)
    try:
        port = int(re.search(r"curl -s -X POST http://127\.0\.0\.1:(\d+)/", text).group(1))  # type: ignore[union-attr]
        key_file = Path(re.search(r"Key=\$\(cat (\S+)\)", text).group(1))  # type: ignore[union-attr]
        assert key_file.is_relative_to(tmp_path)
        body = re.search(r"-d '(\{.*\})'", text).group(1)  # type: ignore[union-attr]
        assert listening, "the curl was shown before the gateway listened"
        response = httpx.post(
            f"http://127.0.0.1:{port}/vicidial/leads/archive",
            content=body,
            headers={
                "Authorization": f"Key={key_file.read_text().strip()}",
                "Content-Type": "application/json",
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["delete_count"] == 2
    finally:
        process.send_signal(signal.SIGINT)
        try:
            rest, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # leave no demo nor its MariaDB behind
            process.kill()
            pid_file = tmp_path / ".var" / "demo" / "mariadbd.pid"
            if pid_file.exists():
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
            raise
    assert "demo stopped; its data is removed" in rest
    assert not (tmp_path / ".var" / "demo").exists()
