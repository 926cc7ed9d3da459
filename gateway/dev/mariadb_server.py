"""A private MariaDB server from the local binaries, for the demo, the tests and benchmarks.

Own datadir, socket and port; VICIdial-like settings (MyISAM, ``utf8mb3_unicode_ci``,
non-strict ``sql_mode``). It never touches a server already running on the machine. A MySQL
``mysqld`` (``flavor="mysql"``) runs the same way, with MySQL's own defaults otherwise
(binary log on, row format, ``caching_sha2_password``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from gateway.dburl import DatabaseURL
from gateway.errors import LeadArchiveError

VICIDIAL_SETTINGS = (
    "--sql-mode=NO_ENGINE_SUBSTITUTION",
    "--default-storage-engine=MyISAM",
    "--character-set-server=utf8mb3",
    "--collation-server=utf8mb3_unicode_ci",
    "--binlog-format=mixed",
)
# MySQL: the same VICIdial settings; its binary log stays as MySQL ships it (on, ROW), the
# X Protocol listener is off (it would take a second port), LOAD DATA is not confined.
MYSQL_SETTINGS = (
    "--sql-mode=NO_ENGINE_SUBSTITUTION",
    "--default-storage-engine=MyISAM",
    "--character-set-server=utf8mb3",
    "--collation-server=utf8mb3_unicode_ci",
    "--mysqlx=OFF",
    "--secure-file-priv=",
)
# mysqld --initialize-insecure makes root@localhost only, which a TCP connection does not
# reach under --skip-name-resolve: root@127.0.0.1 too, with the default authentication
# (caching_sha2_password) and no password, like MariaDB's root here.
MYSQL_INIT = """
CREATE USER 'root'@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
"""


class ServerError(LeadArchiveError):
    """The private server could not be found, initialised or started."""


def find_binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or next(
            (
                str(p)
                for d in ("/usr/sbin", "/usr/bin", "/usr/local/bin")
                if (p := Path(d) / name).is_file()
            ),
            None,
        )
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PrivateServer:
    """``with PrivateServer() as server: server.url('asterisk')``."""

    base_dir: Path | None = None
    extra_args: tuple[str, ...] = ()
    port: int = 0
    keep: bool = False
    # Another build than the system's (see tests/support/mariadb_versions.py): its binaries, the
    # --basedir they need and extra environment (LD_LIBRARY_PATH).
    mariadbd: str | None = None
    install_db: str | None = None
    basedir: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    # "mariadb" or "mysql"; build_args: options the build itself needs (its message and
    # plugin directories), at initialisation and at every start.
    flavor: str = "mariadb"
    build_args: tuple[str, ...] = ()
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _made_dir: bool = field(default=False, repr=False)

    @property
    def datadir(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "data"

    @property
    def socket_path(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "mysqld.sock"

    @property
    def log_path(self) -> Path:
        assert self.base_dir is not None
        return self.base_dir / "mariadbd.log"

    def url(self, database: str) -> DatabaseURL:
        return DatabaseURL(
            user="root", password="", host="127.0.0.1", port=self.port, database=database
        )

    @property
    def is_mysql(self) -> bool:
        return self.flavor == "mysql"

    def start(self, timeout: float = 60.0) -> PrivateServer:
        """Initialise a fresh datadir and start the server."""
        mariadbd, install_db = self._binaries()
        if self.base_dir is None:
            self.base_dir = Path(tempfile.mkdtemp(prefix=f"lead-archive-{self.flavor}-"))
            self._made_dir = True
        self.base_dir.mkdir(parents=True, exist_ok=True)
        if self.datadir.exists():
            shutil.rmtree(self.datadir)
        self.datadir.mkdir()
        if self.is_mysql:
            init_file = self.base_dir / "init.sql"
            init_file.write_text(MYSQL_INIT)
            command = [
                mariadbd,
                "--no-defaults",
                *self._basedir(),
                *self.build_args,
                f"--datadir={self.datadir}",
                "--initialize-insecure",
                f"--init-file={init_file}",
                *self._user(),
            ]
        else:
            command = [
                install_db,
                "--no-defaults",
                *self._basedir(),
                f"--datadir={self.datadir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *self._user(),
            ]
        init = subprocess.run(
            command, capture_output=True, text=True, check=False, env={**os.environ, **self.env}
        )
        if init.returncode != 0:
            output = (init.stderr.strip() or init.stdout.strip())[-300:]
            what = "mysqld --initialize-insecure" if self.is_mysql else "mariadb-install-db"
            raise ServerError(f"{what} failed: {output}")
        self.port = self.port or free_port()
        return self.restart(timeout)

    def restart(self, timeout: float = 60.0) -> PrivateServer:
        """Start the server on the existing datadir (after :meth:`kill`, say)."""
        mariadbd, _ = self._binaries()
        assert self.base_dir is not None
        # its own temporary directory too: servers sharing /tmp have lost each other's files
        tmpdir = self.base_dir / "tmp"
        tmpdir.mkdir(exist_ok=True)
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                [
                    mariadbd,
                    "--no-defaults",
                    *self._basedir(),
                    f"--datadir={self.datadir}",
                    f"--tmpdir={tmpdir}",
                    f"--socket={self.socket_path}",
                    f"--port={self.port}",
                    "--bind-address=127.0.0.1",
                    f"--pid-file={self.base_dir / 'mariadbd.pid'}",
                    "--skip-name-resolve",
                    "--innodb-buffer-pool-size=256M",
                    "--key-buffer-size=256M",
                    *self.build_args,
                    *(MYSQL_SETTINGS if self.is_mysql else VICIDIAL_SETTINGS),
                    *self.extra_args,
                    *self._user(),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, **self.env},
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-500:]
                raise ServerError(f"{self._server_name} exited at start: {tail.strip()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise ServerError(
            f"{self._server_name} did not answer on port {self.port} within {timeout:.0f}s"
        )

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing is flushed or closed."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    @property
    def _server_name(self) -> str:
        return "mysqld" if self.is_mysql else "mariadbd"

    def _binaries(self) -> tuple[str, str]:
        mariadbd = self.mariadbd or find_binary("mariadbd", "mysqld")
        if self.is_mysql and mariadbd:
            return mariadbd, ""
        install_db = self.install_db or find_binary("mariadb-install-db", "mysql_install_db")
        if not mariadbd or not install_db:
            raise ServerError(
                "MariaDB server binaries not found: install them (Debian: apt-get install "
                "mariadb-server) or use docker compose"
            )
        return mariadbd, install_db

    def _basedir(self) -> list[str]:
        return [f"--basedir={self.basedir}"] if self.basedir else []

    @staticmethod
    def _user() -> list[str]:
        return ["--user=root"] if os.geteuid() == 0 else []

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._made_dir and not self.keep and self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> PrivateServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
