"""Environment → one typed, validated :class:`Settings` (the README's Configuration table).

A ``.env`` file in the working directory may supply variables; the real environment wins.
Every invalid value raises :class:`~gateway.errors.ConfigError` with one line naming it.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.contract import MAX_LEADS
from gateway.dburl import DatabaseURL
from gateway.errors import ConfigError
from gateway.http.auth import TrustedProxies
from gateway.http.office_hours import Schedule


@dataclass(frozen=True)
class Settings:
    database_url: DatabaseURL | None
    office_hours: Schedule
    timezone: ZoneInfo
    max_leads: int = MAX_LEADS
    call_time_id: str | None = None
    pool_size: int = 10
    # seconds a request waits for a pooled connection before it is answered 503
    pool_timeout: float = 5.0
    # peers whose X-Forwarded-For / Forwarded headers are believed; none by default
    trusted_proxies: TrustedProxies = ()
    # write VICIdial's own logs (vicidial_admin_log, vicidial_api_log) where they exist
    vicidial_log: bool = True

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, require_database: bool = True
    ) -> Settings:
        env = dict(read_dotenv(Path(".env"))) if environ is None else {}
        env.update(os.environ if environ is None else environ)
        url = env.get("LEAD_ARCHIVE_DATABASE_URL", "").strip()
        if not url and require_database:
            raise ConfigError(
                "LEAD_ARCHIVE_DATABASE_URL is not set (mysql://USER:PASSWORD@HOST:PORT/DATABASE)"
            )
        return cls(
            database_url=DatabaseURL.parse(url) if url else None,
            office_hours=Schedule.parse(
                env.get("LEAD_ARCHIVE_OFFICE_HOURS", "mon-fri 08:00-18:00")
            ),
            timezone=_zone(env.get("LEAD_ARCHIVE_TIMEZONE", "").strip()),
            max_leads=_int(env, "LEAD_ARCHIVE_MAX_LEADS", MAX_LEADS, 1, MAX_LEADS),
            pool_size=_int(env, "LEAD_ARCHIVE_POOL_SIZE", 10, 1, 200),
            pool_timeout=_seconds(env, "LEAD_ARCHIVE_POOL_TIMEOUT", 5.0, 0.1, 60.0),
            trusted_proxies=_networks(env.get("LEAD_ARCHIVE_TRUSTED_PROXIES", "")),
            call_time_id=_call_time_id(env.get("LEAD_ARCHIVE_CALL_TIME_ID", "")),
            vicidial_log=_on_off(env, "LEAD_ARCHIVE_VICIDIAL_LOG", True),
        )


def read_dotenv(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines; ``#`` comments, ``export`` and surrounding quotes allowed."""
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _on_off(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("on", "off"):
        raise ConfigError(f"{name} must be on or off, not {raw!r}")
    return raw == "on"


def _seconds(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g} seconds, not {raw}")
    return value


def _networks(raw: str) -> TrustedProxies:
    """``10.0.0.5, 10.1.0.0/16, ::1`` → networks (an address is a network of one)."""
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"LEAD_ARCHIVE_TRUSTED_PROXIES: {item!r} is not an address or a network"
                " (10.0.0.5, 10.0.0.0/24, ::1)"
            ) from None
    return tuple(networks)


def _call_time_id(raw: str) -> str | None:
    value = raw.strip()
    if value and not (len(value) <= 10 and value.replace("_", "").replace("-", "").isalnum()):
        raise ConfigError(f"LEAD_ARCHIVE_CALL_TIME_ID: {value!r} is not a VICIdial call time id")
    return value or None


def _zone(name: str) -> ZoneInfo:
    if not name:
        return local_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"LEAD_ARCHIVE_TIMEZONE: {name!r} is not an IANA time zone") from None


def local_zone() -> ZoneInfo:
    """The host's zone: ``TZ``, ``/etc/timezone``, the ``/etc/localtime`` link, else UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    timezone_file = Path("/etc/timezone")
    if timezone_file.is_file():
        candidates.append(timezone_file.read_text().strip())
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    for name in candidates:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")
