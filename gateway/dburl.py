"""``LEAD_ARCHIVE_DATABASE_URL`` → connection parameters.

Accepted forms::

    mysql://USER:PASSWORD@HOST:PORT/DATABASE
    mysql://USER@localhost/DATABASE?unix_socket=/path

``mariadb://`` is accepted as a synonym. The password never appears in ``repr`` or ``str``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from gateway.errors import ConfigError


@dataclass(frozen=True)
class DatabaseURL:
    user: str
    password: str = field(repr=False)
    host: str
    port: int
    database: str
    unix_socket: str | None = None

    @classmethod
    def parse(cls, url: str) -> DatabaseURL:
        what = "LEAD_ARCHIVE_DATABASE_URL"
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise ConfigError(f"{what}: {exc}") from None
        if parts.scheme not in ("mysql", "mariadb"):
            raise ConfigError(f"{what} must start with mysql://")
        database = unquote(parts.path.lstrip("/"))
        if not database or "/" in database:
            raise ConfigError(f"{what} must name a database: mysql://USER@HOST/DATABASE")
        query = parse_qs(parts.query)
        unknown = set(query) - {"unix_socket"}
        if unknown:
            raise ConfigError(f"{what}: unknown parameter {sorted(unknown)[0]!r}")
        sockets = query.get("unix_socket", [])
        return cls(
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            host=parts.hostname or "localhost",
            port=port or 3306,
            database=database,
            unix_socket=sockets[0] if sockets else None,
        )

    def connect_args(self) -> dict[str, Any]:
        """Keyword arguments for ``asyncmy.connect`` / ``asyncmy.create_pool``."""
        args: dict[str, Any] = {
            "user": self.user,
            "password": self.password,
            "db": self.database,
            "charset": "utf8mb4",
        }
        if self.unix_socket:
            args["unix_socket"] = self.unix_socket
        else:
            args["host"] = self.host
            args["port"] = self.port
        return args

    def safe(self) -> str:
        """The URL with the password left out, for messages and logs."""
        where = (
            f"unix_socket={self.unix_socket}" if self.unix_socket else f"{self.host}:{self.port}"
        )
        return f"mysql://{self.user}@{where}/{self.database}"

    def __str__(self) -> str:
        return self.safe()
