"""``LEAD_ARCHIVE_DATABASE_URL`` → connection parameters.

Accepted forms::

    mysql://USER:PASSWORD@HOST:PORT/DATABASE
    mysql://USER@localhost/DATABASE?unix_socket=/path

``mariadb://`` is accepted as a synonym. The user and the password are percent-decoded: a
password holding ``/ ? # @ : %`` is written ``%2F %3F %23 %40 %3A %25``. The password never
appears in ``repr`` or ``str``, nor in any message about a URL that does not parse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from gateway.errors import ConfigError

_WHAT = "LEAD_ARCHIVE_DATABASE_URL"
_ENCODINGS = "/ %2F, ? %3F, # %23, @ %40, : %3A, % %25"


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
        """Parse the URL. No message names any part of the user or the password: a URL that
        does not parse may hold them unencoded in any of its places."""
        scheme, separator, rest = url.partition("://")
        if not separator or scheme.lower() not in ("mysql", "mariadb"):
            raise ConfigError(f"{_WHAT} must start with mysql://")
        # the authority ends at the first / ? or #; its user information at its last @
        end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
        authority, tail = rest[:end], rest[end:]
        if "@" in tail:
            raise ConfigError(
                f"{_WHAT}: a '/', '?' or '#' in the user or the password must be"
                f" percent-encoded ({_ENCODINGS})"
            )
        userinfo, at, hostport = authority.rpartition("@")
        user, _, password = userinfo.partition(":") if at else ("", "", "")
        host, port = _host_port(hostport)
        tail, hash_sign, _ = tail.partition("#")
        if hash_sign:
            raise ConfigError(f"{_WHAT}: a '#' must be percent-encoded (%23)")
        path, _, query_text = tail.partition("?")
        database = unquote(path.lstrip("/"))
        if not database or "/" in database:
            raise ConfigError(f"{_WHAT} must name a database: mysql://USER@HOST/DATABASE")
        query = parse_qs(query_text)
        unknown = set(query) - {"unix_socket"}
        if unknown:
            raise ConfigError(f"{_WHAT}: unknown parameter {sorted(unknown)[0]!r}")
        sockets = query.get("unix_socket", [])
        return cls(
            user=unquote(user) or "root",
            password=unquote(password),
            host=host or "localhost",
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


def _host_port(hostport: str) -> tuple[str, int | None]:
    """``db1:3307``, ``[2001:db8::1]:3307``, ``db1`` → (host, port or None)."""
    if hostport.startswith("["):
        host, bracket, rest = hostport[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ConfigError(f"{_WHAT}: an IPv6 host is written [2001:db8::1]:3306")
        port_text = rest[1:]
    elif hostport.count(":") > 1:
        raise ConfigError(f"{_WHAT}: an IPv6 host is written [2001:db8::1]:3306")
    else:
        host, _, port_text = hostport.partition(":")
    if not port_text:
        return host, None
    if not (port_text.isascii() and port_text.isdigit() and 1 <= int(port_text) <= 65535):
        raise ConfigError(f"{_WHAT}: the port must be a number from 1 to 65535")
    return host, int(port_text)
