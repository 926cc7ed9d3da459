"""The throwaway MariaDB every test runs against.

Resolution order for the server:

1. ``LEAD_ARCHIVE_TEST_DSN`` (``mysql://root:pw@host:port/any``): an existing server; each
   test still gets its own database, dropped afterwards.
2. testcontainers' MariaDB when a Docker engine answers.
3. a private ``mariadbd`` from the local binaries (own datadir, socket and port,
   production-like flags), stopped at the end of the run.

The procedure-level modules run against every server version selected with
``--mariadb-versions`` or ``LEAD_ARCHIVE_TEST_VERSIONS`` (``10.5,10.11,11.8,mysql-9.7``;
default: all that are cached or can be fetched from Debian, see
``tests/support/mariadb_versions.py``);
the others run against one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from gateway.dburl import DatabaseURL
from gateway.dev.mariadb_server import MYSQL_SETTINGS, VICIDIAL_SETTINGS
from tests.support import mariadb_versions
from tests.support.dbtools import SyncDB, build_vicidial

VERSIONED_MODULES = {
    "test_procedures",
    "test_schema_variants",
    "test_sql_files",
    "test_dearchive",
    "test_vicidial",
    "test_installer",
    "test_upgrade_archive",
    "test_grant",
    "test_regressions_sql",
    "test_attacks",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--mariadb-versions",
        default=os.environ.get("LEAD_ARCHIVE_TEST_VERSIONS", "all"),
        help="comma-separated server versions for the procedure tests "
        "(10.5,10.11,11.8,mysql-9.7), "
        "or 'all' (default: every version cached or fetchable)",
    )


def pytest_configure(config: pytest.Config) -> None:
    option = str(config.getoption("--mariadb-versions"))
    wanted = list(mariadb_versions.ALL_VERSIONS) if option == "all" else option.split(",")
    if os.environ.get("LEAD_ARCHIVE_TEST_DSN"):
        versions = ["dsn"]
    elif _docker_answers():
        versions = wanted
    else:
        versions = [b.version for b in mariadb_versions.available(wanted)]
    config.stash[VERSIONS] = versions or ["none"]


VERSIONS = pytest.StashKey[list[str]]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "mariadb_version" not in metafunc.fixturenames:
        return
    versions = metafunc.config.stash[VERSIONS]
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if module not in VERSIONED_MODULES:
        versions = [
            mariadb_versions.SYSTEM_VERSION
            if mariadb_versions.SYSTEM_VERSION in versions
            else versions[0]
        ]
    metafunc.parametrize("mariadb_version", versions, indirect=True, scope="session")


@pytest.fixture(scope="session", autouse=True)
def log_scan() -> Iterator[None]:
    """Every log line the gateway and the driver write during the whole run, scanned at the
    end for keys, passwords and lead data (tests/support/secrets.py)."""
    import logging

    from gateway.logs import JsonFormatter
    from tests.support import secrets

    handler = secrets.CapturingHandler()
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(name) for name in ("lead_archive", "asyncmy", "uvicorn")]
    for logger in loggers:
        logger.addHandler(handler)
    previous = loggers[0].level
    loggers[0].setLevel(logging.INFO)
    yield
    for logger in loggers:
        logger.removeHandler(handler)
    loggers[0].setLevel(previous)
    secrets.assert_clean(handler.lines, "in-process logs")


@pytest.fixture(scope="session")
def mariadb_version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        done = subprocess.run(["docker", "info"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@pytest.fixture(scope="session")
def server(mariadb_version: str) -> Iterator[DatabaseURL]:
    """Root access to a server; the database part of the URL is a placeholder."""
    dsn = os.environ.get("LEAD_ARCHIVE_TEST_DSN")
    if dsn:
        yield DatabaseURL.parse(dsn)
        return
    if _docker_answers():
        from testcontainers.mysql import MySqlContainer

        mysql = mariadb_versions.is_mysql(mariadb_version)
        image = f"mysql:{mariadb_version[6:]}" if mysql else f"mariadb:{mariadb_version}"
        container = MySqlContainer(image, username="root", password="test", dbname="mysql")
        container.with_command(" ".join(MYSQL_SETTINGS if mysql else VICIDIAL_SETTINGS))
        with container:
            port = int(container.get_exposed_port(3306))
            yield DatabaseURL("root", "test", container.get_container_host_ip(), port, "mysql")
        return
    binaries = mariadb_versions.cached(mariadb_version)
    if binaries is None:
        pytest.skip(f"{mariadb_versions.server_name(mariadb_version)} is not available here")
    with binaries.server() as private:
        yield private.url("mysql")


@pytest.fixture(scope="session")
def admin(server: DatabaseURL) -> Iterator[SyncDB]:
    db = SyncDB(server)
    yield db
    db.close()


def _fresh_database(admin: SyncDB, server: DatabaseURL) -> Iterator[SyncDB]:
    name = f"la_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb3 COLLATE utf8mb3_unicode_ci")
    db = SyncDB(
        DatabaseURL(
            server.user, server.password, server.host, server.port, name, server.unix_socket
        )
    )
    try:
        yield db
    finally:
        db.close()
        admin.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
def empty_db(admin: SyncDB, server: DatabaseURL) -> Iterator[SyncDB]:
    """A fresh database with nothing in it."""
    yield from _fresh_database(admin, server)


@pytest.fixture(params=["MyISAM", "InnoDB"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def vdb(empty_db: SyncDB) -> SyncDB:
    """A fresh VICIdial-shaped database (MyISAM), archive table made as VICIdial documents it,
    procedures installed."""
    build_vicidial(empty_db, engine="MyISAM")
    return empty_db


@pytest.fixture
def vdb_any(empty_db: SyncDB, engine: str) -> SyncDB:
    """The same, once per engine."""
    build_vicidial(empty_db, engine=engine)
    return empty_db
