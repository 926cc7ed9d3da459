"""What the tests share: databases, processes, the HTTP client, secrets, packaging."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
