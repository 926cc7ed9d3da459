"""Other MariaDB versions, and MySQL, from Debian's own packages, without Docker.

    scripts/mariadb-versions [fetch|list] [VERSION ...]

- 10.11: the system's binaries (Debian bookworm).
- 10.5: bullseye's ``mariadb-server-core-10.5`` and friends, run with ``LD_LIBRARY_PATH``.
- 11.8: trixie's ``mariadb-server-core``, which needs trixie's libc: run through trixie's own
  loader by small wrapper scripts that ``mariadb-install-db`` finds through ``--basedir``.
- mysql-9.7: sid's ``mysql-server-core`` (MySQL 9.7), which needs sid's libc and libstdc++:
  ``mysqld`` runs through sid's loader the same way and initialises its own datadir
  (``--initialize-insecure``). Sid's index is often past its Valid-Until date, so that one
  fetch tells apt not to check the date (the signatures are still checked).

Packages are fetched with ``apt-get download`` using a private sources list and lists
directory (the system's apt configuration is never touched) and unpacked with ``dpkg -x``
into ``$LEAD_ARCHIVE_MARIADB_CACHE`` (default ``~/.cache/lead-archive/mariadb``). Once cached,
nothing is fetched again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from gateway.dev.mariadb_server import PrivateServer

KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
TRIXIE_LIBS = [
    "libc6",
    "libstdc++6",
    "libssl3t64",
    "libaio1t64",
    "liburing2",
    "libpcre2-8-0",
    "libnuma1",
    "libsystemd0",
    "zlib1g",
    "libgcc-s1",
    "libcrypt1",
    "libsnappy1v5",
    "liblz4-1",
    "libzstd1",
    "libcap2",
    "libgcrypt20",
    "libgpg-error0",
    "liblzma5",
    "libbz2-1.0",
    "libncurses6",
    "libtinfo6",
    "libedit2",
    "libbsd0",
    "libmd0",
]
# What sid's mysqld loads (readelf -d, followed through the libraries); not the client, not
# the plugins' libraries (curl, fido2, mecab), which the tests do not use.
SID_LIBS = [
    "libc6",
    "libstdc++6",
    "libgcc-s1",
    "libicu78",
    "libssl3t64",
    "libzstd1",
    "libprotobuf-lite32t64",
    "zlib1g",
    "liblz4-1",
    "libxxhash0",
    "libaio1t64",
    "libnuma1",
    "libgoogle-perftools4t64",
    "libunwind8",
    "liblzma5",
]
SPECS: dict[str, tuple[str, list[str]]] = {
    "10.5": (
        "bullseye",
        ["mariadb-server-core-10.5", "mariadb-client-core-10.5", "libssl1.1", "libsnappy1v5"],
    ),
    "11.8": ("trixie", ["mariadb-server-core", "mariadb-client-core", *TRIXIE_LIBS]),
    "mysql-9.7": ("sid", ["mysql-server-core", *SID_LIBS]),
}
# Suites whose Release file may be past its Valid-Until date on the mirror.
UNDATED_SUITES = {"sid"}
SYSTEM_VERSION = "10.11"
ALL_VERSIONS = ("10.5", "10.11", "11.8", "mysql-9.7")


def is_mysql(version: str) -> bool:
    """``mysql-9.7`` names a MySQL server; a bare number, a MariaDB one."""
    return version.startswith("mysql-")


def server_name(version: str) -> str:
    """``mysql-9.7`` → ``MySQL 9.7``; ``10.5`` → ``MariaDB 10.5``."""
    return f"MySQL {version[6:]}" if is_mysql(version) else f"MariaDB {version}"


@dataclass(frozen=True)
class Binaries:
    """How to run one version: what PrivateServer needs."""

    version: str
    mariadbd: str
    install_db: str
    basedir: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    # "mariadb", or "mysql" (initialised by mysqld itself; install_db is then unused)
    flavor: str = "mariadb"
    # server options this build needs (MySQL: where its messages and plugins are)
    args: tuple[str, ...] = ()

    def server(self, *extra_args: str) -> PrivateServer:
        """A private server of this version (not started), with these options added."""
        return PrivateServer(
            mariadbd=self.mariadbd,
            install_db=self.install_db,
            basedir=self.basedir,
            env=dict(self.env),
            flavor=self.flavor,
            build_args=self.args,
            extra_args=extra_args,
        )


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "lead-archive" / "mariadb"
    return Path(os.environ.get("LEAD_ARCHIVE_MARIADB_CACHE", default))


def mirror() -> str:
    sources = Path("/etc/apt/sources.list.d/debian.sources")
    if sources.is_file():
        match = re.search(r"^URIs:\s*(\S+/debian)\s*$", sources.read_text(), re.M)
        if match:
            return match.group(1)
    return "http://deb.debian.org/debian"


def system_binaries() -> Binaries | None:
    from gateway.dev.mariadb_server import find_binary

    mariadbd = find_binary("mariadbd", "mysqld")
    install_db = find_binary("mariadb-install-db", "mysql_install_db")
    if not mariadbd or not install_db:
        return None
    return Binaries(SYSTEM_VERSION, mariadbd, install_db)


def cached(version: str) -> Binaries | None:
    if version == SYSTEM_VERSION:
        return system_binaries()
    marker = cache_dir() / version / "binaries.json"
    if not marker.is_file():
        return None
    data = json.loads(marker.read_text())
    return Binaries(
        data["version"],
        data["mariadbd"],
        data["install_db"],
        data["basedir"],
        tuple((k, v) for k, v in data["env"].items()),
        data.get("flavor", "mariadb"),
        tuple(data.get("args", ())),
    )


def fetch(version: str) -> Binaries:
    """Download and unpack one version (idempotent; offline once cached)."""
    found = cached(version)
    if found:
        return found
    suite, packages = SPECS[version]
    home = cache_dir() / version
    apt = home / "apt"
    shutil.rmtree(home, ignore_errors=True)
    for sub in ("lists/partial", "cache/archives/partial", "debs"):
        (apt / sub).mkdir(parents=True)
    (apt / "sources.list").write_text(f"deb [signed-by={KEYRING}] {mirror()} {suite} main\n")
    options = [
        "-o",
        f"Dir::Etc::SourceList={apt / 'sources.list'}",
        "-o",
        "Dir::Etc::SourceParts=/dev/null",
        "-o",
        f"Dir::State::Lists={apt / 'lists'}",
        "-o",
        f"Dir::Cache={apt / 'cache'}",
        "-o",
        "Debug::NoLocking=1",
        "-o",
        "APT::Sandbox::User=root",
    ]
    if suite in UNDATED_SUITES:
        options += ["-o", "Acquire::Check-Valid-Until=false"]
    for command in (["apt-get", *options, "update"], ["apt-get", *options, "download", *packages]):
        done = subprocess.run(
            command, cwd=apt / "debs", capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"cannot fetch {server_name(version)} from Debian {suite}: "
                f"{done.stderr.strip().splitlines()[-1:]}"
            )
    root = home / "root"
    root.mkdir()
    for deb in sorted((apt / "debs").glob("*.deb")):
        subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    libs = root / "usr" / "lib" / "x86_64-linux-gnu"
    if is_mysql(version):
        binaries = _wrap_mysql(home, root, libs, version)
    elif version == "11.8":
        binaries = _wrap_with_loader(home, root, libs, version)
    else:
        binaries = Binaries(
            version,
            str(root / "usr" / "sbin" / "mariadbd"),
            str(root / "usr" / "bin" / "mariadb-install-db"),
            str(root / "usr"),
            (("LD_LIBRARY_PATH", str(libs)),),
        )
    shutil.rmtree(apt)
    (home / "binaries.json").write_text(
        json.dumps(
            {
                "version": binaries.version,
                "mariadbd": binaries.mariadbd,
                "install_db": binaries.install_db,
                "basedir": binaries.basedir,
                "env": dict(binaries.env),
                "flavor": binaries.flavor,
                "args": list(binaries.args),
            }
        )
    )
    return binaries


def _wrap_with_loader(home: Path, root: Path, libs: Path, version: str) -> Binaries:
    """Binaries built for trixie's libc run through trixie's loader; mariadb-install-db finds
    the wrappers through --basedir."""
    wrap = home / "wrap"
    for sub in ("bin", "sbin"):
        (wrap / sub).mkdir(parents=True)
    (wrap / "share").symlink_to(root / "usr" / "share")
    loader = libs / "ld-linux-x86-64.so.2"
    for sub, name in (("sbin", "mariadbd"), ("bin", "my_print_defaults"), ("bin", "resolveip")):
        script = wrap / sub / name
        script.write_text(
            f'#!/bin/sh\nexec "{loader}" --library-path "{libs}" '
            f'"{root / "usr" / sub / name}" "$@"\n'
        )
        script.chmod(0o755)
    return Binaries(
        version,
        str(wrap / "sbin" / "mariadbd"),
        str(root / "usr" / "bin" / "mariadb-install-db"),
        str(wrap),
    )


def _wrap_mysql(home: Path, root: Path, libs: Path, version: str) -> Binaries:
    """sid's mysqld through sid's loader; its messages and plugins named explicitly, since
    the binary it reports as its own path is the loader's."""
    wrap = home / "wrap"
    (wrap / "sbin").mkdir(parents=True)
    loader = libs / "ld-linux-x86-64.so.2"
    script = wrap / "sbin" / "mysqld"
    script.write_text(
        f'#!/bin/sh\nexec "{loader}" --library-path "{libs}" '
        f'"{root / "usr" / "sbin" / "mysqld"}" "$@"\n'
    )
    script.chmod(0o755)
    return Binaries(
        version,
        str(script),
        "",
        str(root / "usr"),
        flavor="mysql",
        args=(
            f"--lc-messages-dir={root / 'usr' / 'share' / 'mysql'}",
            f"--plugin-dir={root / 'usr' / 'lib' / 'mysql' / 'plugin'}",
        ),
    )


def available(wanted: list[str] | None = None, *, fetch_missing: bool = True) -> list[Binaries]:
    """The versions asked for (all by default) that are cached or can be fetched now."""
    out = []
    for version in wanted or list(ALL_VERSIONS):
        found = cached(version)
        if found is None and fetch_missing and version in SPECS:
            try:
                found = fetch(version)
            except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
                print(f"{server_name(version)} unavailable: {exc}", file=sys.stderr)
        if found:
            out.append(found)
    return out


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "fetch"
    versions = argv[1:] or list(ALL_VERSIONS)
    for binaries in available(versions, fetch_missing=command == "fetch"):
        env = " ".join(f"{k}={v}" for k, v in binaries.env)
        basedir = f" --basedir={binaries.basedir}" if binaries.basedir else ""
        if binaries.flavor == "mysql":
            args = " ".join(binaries.args)
            print(
                f"{server_name(binaries.version)}:\n"
                f"  {binaries.mariadbd} --no-defaults{basedir} {args} --datadir=DIR"
                " --initialize-insecure\n"
                f"  {binaries.mariadbd} --no-defaults{basedir} {args} --datadir=DIR"
                " --socket=DIR/sock --port=PORT --mysqlx=OFF --secure-file-priv="
            )
            continue
        print(
            f"MariaDB {binaries.version}:\n"
            f"  {env + ' ' if env else ''}{binaries.install_db} --no-defaults{basedir}"
            " --datadir=DIR --auth-root-authentication-method=normal\n"
            f"  {env + ' ' if env else ''}{binaries.mariadbd} --no-defaults{basedir}"
            " --datadir=DIR --socket=DIR/sock --port=PORT"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
