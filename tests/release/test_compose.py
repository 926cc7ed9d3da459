"""docker-compose.yml agrees with the code (no Docker engine is needed to check that)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from gateway.dev.mariadb_server import VICIDIAL_SETTINGS
from tests.support import ROOT

SETTINGS_SOURCE = (ROOT / "gateway" / "settings.py").read_text()


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_services_and_dependencies() -> None:
    services = compose()["services"]
    assert set(services) == {"mariadb", "install", "gateway"}
    assert services["install"]["depends_on"]["mariadb"]["condition"] == "service_healthy"
    assert (
        services["gateway"]["depends_on"]["install"]["condition"]
        == "service_completed_successfully"
    )
    assert all("healthcheck" in services[s] for s in ("mariadb", "gateway"))


def test_mariadb_is_pinned_and_vicidial_like() -> None:
    mariadb = compose()["services"]["mariadb"]
    assert re.fullmatch(r"mariadb:\d+\.\d+\.\d+", mariadb["image"])
    assert tuple(mariadb["command"]) == VICIDIAL_SETTINGS


def test_init_files_exist_and_load_the_demo_sql() -> None:
    mariadb = compose()["services"]["mariadb"]
    mounts = {
        m.split(":")[1]: ROOT / m.split(":")[0] for m in mariadb["volumes"] if m.startswith("./")
    }
    assert mounts["/docker-entrypoint-initdb.d"].is_dir()
    script = (ROOT / "docker" / "initdb" / "10-vicidial.sh").read_text()
    for name in ("schema.sql", "sample_leads.sql", "create_archive.sql"):
        assert f"/lead-archive/sql/vicidial/{name}" in script
        assert (ROOT / "sql" / "vicidial" / name).is_file()


def test_gateway_env_names_are_the_settings_names() -> None:
    services = compose()["services"]
    for name in ("gateway", "install"):
        for var in services[name]["environment"]:
            assert var.startswith("LEAD_ARCHIVE_") and f'"{var}"' in SETTINGS_SOURCE, var
    url = services["gateway"]["environment"]["LEAD_ARCHIVE_DATABASE_URL"]
    assert url.startswith("mysql://gateway:") and url.endswith("@mariadb:3306/asterisk")


def test_install_grants_the_account_the_gateway_uses() -> None:
    command = compose()["services"]["install"]["command"]
    assert "db install" in command and "db grant --user gateway@% --apply" in command


def test_dockerfile_installs_the_wheel_with_the_locked_versions() -> None:
    """A wheel built in one stage (SQL included), installed in the next after the lock's exact
    versions; tests/test_wheel.py runs these same RUN lines."""
    text = (ROOT / "Dockerfile").read_text()
    assert "COPY sql ./sql" in text and "pip wheel" in text and "USER " in text
    assert "--require-hashes -r requirements.txt" in text and "--no-deps dist/*.whl" in text
    assert " -e " not in text
