"""``lead-archive demo``: the gateway on sample VICIdial data, in one command.

A private MariaDB (own datadir, socket and port, VICIdial-like settings) with an ``asterisk``
database, sample leads, the archive table as VICIdial documents it, the procedures, a demo
API key, and the gateway serving. Ctrl-C stops everything and removes the data.
"""

from __future__ import annotations

import asyncio
import shlex
import shutil
import socket
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn

from gateway.admin import installer
from gateway.db import call_procedure, connect
from gateway.dburl import DatabaseURL
from gateway.dev.mariadb_server import PrivateServer, free_port
from gateway.http import auth
from gateway.http.office_hours import Schedule
from gateway.settings import Settings, local_zone

DEMO_DIR = Path(".var") / "demo"
CHUNK = 250_000


async def build(
    url: DatabaseURL, leads: int, engine: str = "MyISAM", progress: bool = False
) -> str:
    """A VICIdial-shaped database named by ``url`` (created here): sample leads, the archive
    as VICIdial documents it, the procedures, an API user "demo". Returns its key."""
    root = await connect(DatabaseURL(url.user, url.password, url.host, url.port, "mysql"))
    async with root.cursor() as cur:
        await cur.execute(
            f"CREATE DATABASE IF NOT EXISTS `{url.database}` "
            "DEFAULT CHARACTER SET utf8 COLLATE utf8_unicode_ci"
        )
    root.close()
    conn = await connect(url)
    try:
        await installer.load_vicidial_schema(conn, engine)
        for first in range(1, leads + 1, CHUNK):
            last = min(leads, first + CHUNK - 1)
            await installer.load_sample_leads(conn, first, last)
            if progress:
                print(f"  {last:,} / {leads:,} leads", flush=True)
        await installer.create_archive(conn)
        await installer.install(conn)
        key = auth.new_key()
        await call_procedure(conn, "lead_archive_key_create", ["demo", auth.key_hash(key)])
        return key
    finally:
        conn.close()


def port_is_free(host: str, port: int) -> bool:
    """The demo takes another port rather than fail when 8000 is in use."""
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def curl_example(port: int, key_file: Path) -> str:
    body = '{"insert_leads": true, "update_leads": true, "delete_leads": true, "lead_ids": [1, 2]}'
    return (
        f"curl -s -X POST http://127.0.0.1:{port}/vicidial/leads/archive \\\n"
        f'  -H "Authorization: Key=$(cat {shlex.quote(str(key_file))})" \\\n'
        f"  -H 'Content-Type: application/json' \\\n"
        f"  -d '{body}'"
    )


def announcing_server(config: uvicorn.Config, message: str) -> uvicorn.Server:
    """A uvicorn server that prints ``message`` once it listens, not before: the curl it
    shows then meets an open port."""

    class Announcing(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                print(message, flush=True)

    return Announcing(config)


def run(*, leads: int, port: int, host: str, office_hours: bool) -> int:
    from gateway.http.app import create_app
    from gateway.logs import setup, uvicorn_log_config

    base = DEMO_DIR.resolve()
    if base.exists():
        shutil.rmtree(base)  # a second run starts clean
    base.mkdir(parents=True)
    server = PrivateServer(base_dir=base)
    print(f"starting a private MariaDB in {base} …", flush=True)
    server.start()
    try:
        url = server.url("asterisk")
        print(f"loading {leads:,} sample leads into asterisk.vicidial_list …", flush=True)
        key = asyncio.run(build(url, leads))
        key_file = base / "demo-key"
        key_file.write_text(key + "\n")
        key_file.chmod(0o600)
        settings = Settings(
            database_url=url,
            office_hours=Schedule.parse("mon-fri 08:00-18:00" if office_hours else "none"),
            timezone=local_zone() if office_hours else ZoneInfo("UTC"),
        )
        port = port if port and port_is_free(host, port) else free_port()
        ready = (
            "\nLead Archive demo is ready.\n"
            f"  gateway   http://{host}:{port}  (office hours: "
            f"{'mon-fri 08:00-18:00' if office_hours else 'off'})\n"
            f"  database  mysql://root@127.0.0.1:{server.port}/asterisk "
            f"({leads:,} leads; mariadb -h127.0.0.1 -P{server.port} -uroot asterisk)\n"
            f"  API key   {key}  (also in {key_file})\n\n"
            "Archive leads 1 and 2:\n\n"
            f"{curl_example(port, key_file)}\n\n"
            "Ctrl-C stops the gateway and the database and removes the demo data.\n"
        )
        setup()
        config = uvicorn.Config(
            create_app(settings),
            host=host,
            port=port,
            access_log=False,
            log_config=uvicorn_log_config(),
            server_header=False,
            proxy_headers=False,  # as lead-archive serve: the gateway decides who the client is
        )
        announcing_server(config, ready).run()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
        print("demo stopped; its data is removed", flush=True)
    return 0
