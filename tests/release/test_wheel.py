"""The product as it is shipped, not as it runs from the checkout.

The wheel is built once per run, by the Dockerfile's own build stage (tests/packaging.py runs
its RUN lines in fresh venvs, no Docker engine needed). Then:

- the operator's install: that wheel into a fresh venv with plain ``pip install`` (what
  ``pipx install`` and ``uv tool install`` do): no ``-e``, no extras, the dependencies resolved
  from the wheel's own metadata; every command run from an empty directory against a private
  server, leads archived through both transports;
- the image's install: the Dockerfile's runtime stage (the lock's exact versions with hashes,
  then the wheel with ``--no-deps``) in another fresh venv; ``archive --help`` and
  ``db install`` from there.

Nothing is fetched after the first run: the lock files' wheels wait in a wheelhouse beside the
project's venv (tests/packaging.py).
"""

from __future__ import annotations

import re
import subprocess
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import gateway
from tests.support import secrets
from tests.support.dbtools import SyncDB, build_vicidial, seed_leads
from tests.support.packaging import (
    ROOT,
    Stage,
    clean_env,
    fill_wheelhouse,
    new_venv,
    offline,
    pip_check,
    run,
    run_dockerfile,
    wheelhouse_dir,
)
from tests.support.processes import serve


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    where = wheelhouse_dir()
    fill_wheelhouse(where)
    return where


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> list[Stage]:
    """The Dockerfile's stages, run: the wheel is built in the first, installed in the last."""
    return run_dockerfile(ROOT / "Dockerfile", tmp_path_factory.mktemp("image"), wheelhouse)


@pytest.fixture(scope="session")
def wheel(image: list[Stage]) -> Path:
    built = sorted((image[0].cwd / "dist").glob("*.whl"))
    assert len(built) == 1, built
    return built[0]


@pytest.fixture(scope="session")
def operator_bin(tmp_path_factory: pytest.TempPathFactory, wheel: Path, wheelhouse: Path) -> Path:
    """A fresh venv with the wheel installed as an operator installs it."""
    bin_dir = new_venv(tmp_path_factory.mktemp("operator") / "venv")
    run([str(bin_dir / "python"), "-m", "pip", "install", str(wheel)], env=offline(wheelhouse))
    pip_check(bin_dir, wheelhouse)
    return bin_dir


@pytest.fixture
def empty_dir(tmp_path: Path) -> Path:
    where = tmp_path / "empty"
    where.mkdir()
    return where


def env_for(db: SyncDB, **extra: str) -> dict[str, str]:
    url = db.url
    return clean_env(
        LEAD_ARCHIVE_DATABASE_URL=(
            f"mysql://{url.user}:{url.password}@{url.host}:{url.port}/{url.database}"
        ),
        LEAD_ARCHIVE_OFFICE_HOURS="none",
        **extra,
    )


def lead_archive(
    bin_dir: Path, *args: str, env: dict[str, str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "lead-archive"), *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def pins(lock: str) -> dict[str, Version]:
    """``name==version`` lines of a lock file, by canonical name."""
    text = (ROOT / "requirements" / lock).read_text()
    return {
        canonicalize_name(name): Version(version)
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.M)
    }


def test_the_lock_files_agree_with_pyproject() -> None:
    """Every declared dependency is pinned, inside its range; the locks agree with each other
    (scripts/lock makes them so: a failure here means it was not run after a change)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime, build, test, bench = (pins(f"{n}.txt") for n in ("runtime", "build", "test", "bench"))
    declared = [
        (runtime, project["project"]["dependencies"]),
        (test, project["project"]["optional-dependencies"]["test"]),
        (bench, project["project"]["optional-dependencies"]["bench"]),
        (build, project["build-system"]["requires"]),
    ]
    for lock, specs in declared:
        for spec in map(Requirement, specs):
            name = canonicalize_name(spec.name)
            assert name in lock and lock[name] in spec.specifier, (spec, lock.get(name))
    for wider, narrower in ((test, runtime), (test, build), (bench, test)):
        assert {n: wider.get(n) for n in narrower} == narrower
    build_in = (ROOT / "requirements" / "build.in").read_text().split("\n")
    assert set(project["build-system"]["requires"]) <= {line.strip() for line in build_in}


def revoked_column(listing: str, name: str) -> str:
    """``keys list`` prints fixed columns: name (24), created (20), revoked (20), last used."""
    line = next(line for line in listing.splitlines() if line.startswith(name + " "))
    return line[46:66].strip()


def test_the_wheel_holds_the_sql_and_names_its_dependencies(wheel: Path) -> None:
    assert wheel.name.startswith(f"lead_archive-{gateway.__version__}-")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(
            archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA")
        )
    for folder in ("procedures", "schema", "vicidial"):
        for path in (ROOT / "sql" / folder).glob("*.sql"):
            assert f"gateway/_sql/{folder}/{path.name}" in names
    assert not [n for n in names if n.startswith(("gateway/_sql/tests", "tests/", "bench/"))]
    # every module of the source tree, subpackages included (their list is kept by hand)
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "gateway").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    for package in ("starlette", "uvicorn", "asyncmy", "prometheus-client", "httpx", "tqdm"):
        assert any(f" {package}" in line and "extra ==" not in line for line in requires)
    assert f"Version: {gateway.__version__}\n" in metadata


def test_wheel_every_command_from_an_empty_directory(
    operator_bin: Path, empty_db: SyncDB, empty_dir: Path
) -> None:
    """db check / create-archive / install, keys create / list / revoke, archive --direct,
    serve and archive --url: the installed package alone, not the checkout."""
    build_vicidial(empty_db, archive=False, install=False)
    seed_leads(empty_db, 40)
    env = env_for(empty_db)

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return lead_archive(operator_bin, *args, env=env, cwd=empty_dir, stdin=stdin)

    where = run(
        [str(operator_bin / "python"), "-c", "import gateway; print(gateway.__file__)"],
        env=env,
        cwd=empty_dir,
    )
    assert where.stdout.strip().startswith(str(operator_bin.parent))
    assert cli("--version").stdout.strip() == f"lead-archive {gateway.__version__}"

    done = cli("db", "check")
    assert done.returncode == 1 and "lead-archive db create-archive" in done.stdout, done
    assert cli("db", "create-archive").returncode == 0
    done = cli("db", "install")
    assert done.returncode == 0, done.stderr
    assert "created procedure lead_archive_move" in done.stdout
    assert "created table lead_archive_audit" in done.stdout
    done = cli("db", "install")
    assert done.returncode == 0 and "nothing to change" in done.stdout
    done = cli("db", "check")
    assert done.returncode == 0 and done.stdout.startswith("ready:"), done

    done = cli("keys", "create", "operator")
    assert done.returncode == 0, done.stderr
    key = secrets.register(done.stdout.split()[-1])
    key_file = empty_dir / "key"
    key_file.write_text(key + "\n")
    assert revoked_column(cli("keys", "list").stdout, "operator") == "-"

    done = cli("archive", "--direct", "--ids-file", "-", stdin="\n".join(map(str, range(1, 21))))
    assert done.returncode == 0, done.stderr
    assert empty_db.ids("vicidial_list_archive") == list(range(1, 21))

    with serve(env, command=[str(operator_bin / "lead-archive")], cwd=empty_dir) as served:
        ids = "\n".join(map(str, range(21, 41)))
        done = cli(
            "archive",
            "--url",
            served.base,
            "--key-file",
            str(key_file),
            "--ids-file",
            "-",
            stdin=ids,
        )
        assert done.returncode == 0, done.stderr
        metrics = httpx.get(served.base + "/metrics").text
    assert 'lead_archive_leads_total{direction="archive",outcome="deleted"} 20.0' in metrics
    assert empty_db.ids("vicidial_list_archive") == list(range(1, 41))
    assert empty_db.ids("vicidial_list") == []

    assert cli("keys", "revoke", "operator").returncode == 0
    assert revoked_column(cli("keys", "list").stdout, "operator") not in ("-", "")
    assert cli("keys", "revoke", "operator").returncode == 1


@pytest.fixture
def without_procedures(operator_bin: Path) -> Iterator[Path]:
    """The installed package with its procedures folder moved away (an incomplete install)."""
    found = list(operator_bin.parent.glob("lib/python*/site-packages/gateway/_sql/procedures"))
    assert len(found) == 1, found
    aside = found[0].with_name("procedures-aside")
    found[0].rename(aside)
    try:
        yield operator_bin
    finally:
        aside.rename(found[0])


def test_wheel_db_install_refuses_without_its_procedures(
    without_procedures: Path, empty_db: SyncDB, empty_dir: Path
) -> None:
    build_vicidial(empty_db, install=False)
    env = env_for(empty_db)
    for command in ("install", "check"):
        done = lead_archive(without_procedures, "db", command, env=env, cwd=empty_dir)
        assert done.returncode == 2, done
        assert "this installation of lead-archive is incomplete" in done.stderr
        assert "Traceback" not in done.stderr
    assert (
        empty_db.value(
            "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()"
        )
        == 0
    )
    assert "lead_archive_audit" not in empty_db.value(
        "SELECT GROUP_CONCAT(TABLE_NAME) FROM information_schema.TABLES"
        " WHERE TABLE_SCHEMA = DATABASE()"
    )


def test_docker_image_install_path_runs_archive_help_and_db_install(
    image: list[Stage], wheelhouse: Path, empty_db: SyncDB, empty_dir: Path
) -> None:
    """The runtime stage's venv: the lock's versions and the wheel, nothing else."""
    bin_dir = image[-1].bin_dir
    pip_check(bin_dir, wheelhouse)
    build_vicidial(empty_db, install=False)
    env = env_for(empty_db)
    done = lead_archive(bin_dir, "archive", "--help", env=env, cwd=empty_dir)
    assert done.returncode == 0 and "--direct" in done.stdout, done
    done = lead_archive(bin_dir, "db", "install", env=env, cwd=empty_dir)
    assert done.returncode == 0, done.stderr
    assert "created procedure lead_archive_move" in done.stdout
    assert lead_archive(bin_dir, "db", "check", env=env, cwd=empty_dir).returncode == 0
