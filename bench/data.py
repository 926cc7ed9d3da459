"""VICIdial-shaped datasets for the benchmarks, generated once and reused between runs.

Each dataset is a private MariaDB datadir in ``bench/.data/<engine>-<leads>/`` with an
``asterisk`` database: ``vicidial_list`` (35 columns, all 13 indexes) filled with sample
leads, the archive table as VICIdial documents it, the procedures. Benchmarks take lead ids
from a cursor kept in ``dataset.json``: a lead is archived once, by one contender, so runs
never measure an emptier table than they claim. ``--fresh`` (or deleting the folder)
generates it again.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.admin import installer
from gateway.db import connect
from gateway.dburl import DatabaseURL
from gateway.dev.demo import build
from gateway.dev.mariadb_server import PrivateServer, free_port

DATA = Path(__file__).resolve().parent / ".data"


@dataclass
class Dataset:
    engine: str
    leads: int
    server: PrivateServer
    meta: dict[str, Any]
    path: Path

    @property
    def url(self) -> DatabaseURL:
        return self.server.url("asterisk")

    @property
    def key(self) -> str:
        return str(self.meta["key"])

    def take(self, count: int) -> list[int]:
        """``count`` lead ids nobody archived yet, consecutive, from the cursor."""
        first = int(self.meta["cursor"])
        if first + count - 1 > self.leads:
            raise RuntimeError(f"{self.path.name} is used up: run with --fresh")
        self.meta["cursor"] = first + count
        self._save()
        return list(range(first, first + count))

    def close(self) -> None:
        self._save()
        self.server.stop()

    def _save(self) -> None:
        (self.path / "dataset.json").write_text(json.dumps(self.meta))


async def _refresh(url: DatabaseURL) -> None:
    conn = await connect(url)
    try:
        await installer.install(conn)  # the procedures of this checkout
    finally:
        conn.close()


def open_dataset(engine: str, leads: int, *, fresh: bool = False, prefix: str = "") -> Dataset:
    """``prefix`` keeps a benchmark that rewrites its tables apart from the others."""
    path = DATA / f"{prefix}{engine}-{leads}"
    if fresh:
        shutil.rmtree(path, ignore_errors=True)
    meta_file = path / "dataset.json"
    server = PrivateServer(base_dir=path, keep=True)
    if meta_file.is_file():
        meta = json.loads(meta_file.read_text())
        server.port = free_port()
        server.restart()
        asyncio.run(_refresh(server.url("asterisk")))
    else:
        shutil.rmtree(path, ignore_errors=True)
        print(f"generating {leads:,} {engine} leads in {path} (once) …", flush=True)
        started = time.perf_counter()
        server.start()
        key = asyncio.run(build(server.url("asterisk"), leads, engine, progress=True))
        meta = {
            "engine": engine,
            "leads": leads,
            "cursor": 1,
            "key": key,
            "generated_seconds": round(time.perf_counter() - started, 1),
        }
        meta_file.write_text(json.dumps(meta))
    return Dataset(engine, leads, server, meta, path)
