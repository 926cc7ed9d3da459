"""Environment → Settings, and the database URL."""

from __future__ import annotations

import pytest

from gateway.dburl import DatabaseURL
from gateway.errors import ConfigError
from gateway.settings import Settings, read_dotenv

URL = "mysql://gw:s3cr%40t@db.example:3307/asterisk"


def test_defaults() -> None:
    s = Settings.from_env({"LEAD_ARCHIVE_DATABASE_URL": URL, "LEAD_ARCHIVE_TIMEZONE": "UTC"})
    assert s.max_leads == 500
    assert s.office_hours.source == "mon-fri 08:00-18:00"
    assert s.database_url == DatabaseURL("gw", "s3cr@t", "db.example", 3307, "asterisk")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "LEAD_ARCHIVE_DATABASE_URL is not set"),
        ({"LEAD_ARCHIVE_DATABASE_URL": "postgres://x/y"}, "must start with mysql://"),
        ({"LEAD_ARCHIVE_DATABASE_URL": "mysql://u@h"}, "must name a database"),
        ({"LEAD_ARCHIVE_DATABASE_URL": "mysql://u@h:99999/d"}, "LEAD_ARCHIVE_DATABASE_URL"),
        ({"LEAD_ARCHIVE_DATABASE_URL": URL, "LEAD_ARCHIVE_MAX_LEADS": "0"}, "between 1 and 500"),
        ({"LEAD_ARCHIVE_DATABASE_URL": URL, "LEAD_ARCHIVE_MAX_LEADS": "501"}, "between 1 and 500"),
        ({"LEAD_ARCHIVE_DATABASE_URL": URL, "LEAD_ARCHIVE_MAX_LEADS": "ten"}, "whole number"),
        ({"LEAD_ARCHIVE_DATABASE_URL": URL, "LEAD_ARCHIVE_TIMEZONE": "Mars/Base"}, "IANA"),
        ({"LEAD_ARCHIVE_DATABASE_URL": URL, "LEAD_ARCHIVE_OFFICE_HOURS": "always"}, "OFFICE_HOURS"),
        ({"LEAD_ARCHIVE_DATABASE_URL": URL, "LEAD_ARCHIVE_VICIDIAL_LOG": "no"}, "on or off"),
    ],
)
def test_bad_settings_say_which(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_socket_url_and_no_password_in_repr() -> None:
    url = DatabaseURL.parse("mysql://gw:pw@localhost/asterisk?unix_socket=/run/mysqld/m.sock")
    assert url.connect_args()["unix_socket"] == "/run/mysqld/m.sock"
    assert "host" not in url.connect_args()
    assert "pw" not in repr(url) and "pw" not in str(url)


def test_dotenv(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / ".env"
    path.write_text("# comment\nexport A='1'\nB=\"two\"\nC=three=3\n\n")
    assert read_dotenv(path) == {"A": "1", "B": "two", "C": "three=3"}


@pytest.mark.parametrize("char", ["/", "#", "?", "@", ":", "%"])
def test_regression_a_password_with_a_reserved_character(char: str) -> None:
    """Percent-encoded, it works; written as is, it works or fails with a message that holds
    no part of it (it used to say "Port could not be cast to integer value as 'Qz7'")."""
    from urllib.parse import quote

    password = f"Qz7{char}Wk9"
    encoded = f"mysql://gw:{quote(password, safe='')}@db.example:3307/asterisk"
    assert DatabaseURL.parse(encoded) == DatabaseURL("gw", password, "db.example", 3307, "asterisk")
    for raw in (
        f"mysql://gw:{password}@db.example:3307/asterisk",
        f"mysql://gw:{password}@db.example/asterisk",
        f"mysql://gw:{password}@localhost/asterisk?unix_socket=/run/m.sock",
    ):
        try:
            url = Settings.from_env({"LEAD_ARCHIVE_DATABASE_URL": raw}).database_url
        except ConfigError as exc:
            assert "Qz7" not in str(exc) and "Wk9" not in str(exc), str(exc)
            assert "percent-encoded" in str(exc)
            continue
        assert url is not None and url.password == password, (raw, url)


def test_regression_a_bad_port_is_not_quoted() -> None:
    for url in ("mysql://gw:Secr3t/x@db:port/asterisk", "mysql://gw:Secr3t@db:Secr3t/asterisk"):
        with pytest.raises(ConfigError) as info:
            DatabaseURL.parse(url)
        assert "Secr3t" not in str(info.value)


def test_ipv6_hosts() -> None:
    assert DatabaseURL.parse("mysql://gw:pw@[2001:db8::1]:3307/a").host == "2001:db8::1"
    with pytest.raises(ConfigError, match="IPv6"):
        DatabaseURL.parse("mysql://gw:pw@2001:db8::1/a")


def test_trusted_proxies_and_pool_timeout() -> None:
    s = Settings.from_env(
        {
            "LEAD_ARCHIVE_DATABASE_URL": URL,
            "LEAD_ARCHIVE_TRUSTED_PROXIES": " 10.0.0.5, 10.1.0.0/16 ,::1,",
            "LEAD_ARCHIVE_POOL_TIMEOUT": "2.5",
        }
    )
    assert [str(n) for n in s.trusted_proxies] == ["10.0.0.5/32", "10.1.0.0/16", "::1/128"]
    assert s.pool_timeout == 2.5
    defaults = Settings.from_env({"LEAD_ARCHIVE_DATABASE_URL": URL})
    assert defaults.trusted_proxies == () and defaults.pool_timeout == 5.0
    with pytest.raises(ConfigError, match=r"LEAD_ARCHIVE_TRUSTED_PROXIES: 'proxy\.local'"):
        Settings.from_env(
            {"LEAD_ARCHIVE_DATABASE_URL": URL, "LEAD_ARCHIVE_TRUSTED_PROXIES": "proxy.local"}
        )
    with pytest.raises(ConfigError, match="LEAD_ARCHIVE_POOL_TIMEOUT"):
        Settings.from_env({"LEAD_ARCHIVE_DATABASE_URL": URL, "LEAD_ARCHIVE_POOL_TIMEOUT": "0"})


@pytest.mark.parametrize(
    ("raw", "on"), [(None, True), ("on", True), ("OFF", False), (" off ", False)]
)
def test_vicidial_log_switch(raw: str | None, on: bool) -> None:
    env = {"LEAD_ARCHIVE_DATABASE_URL": URL}
    if raw is not None:
        env["LEAD_ARCHIVE_VICIDIAL_LOG"] = raw
    assert Settings.from_env(env).vicidial_log is on
