"""Installing the product the way an operator does, for tests: fresh venvs, the lock files'
wheels kept in a wheelhouse (downloaded once, then installed with ``--no-index``), and the
Dockerfile's own RUN lines run outside Docker.

The Dockerfile runner knows what the project's Dockerfile uses: ``FROM`` (a fresh venv stands
for the image's Python, a fresh directory for its ``/``), ``WORKDIR``, ``COPY`` (with
``--from``; ``.dockerignore`` names honoured), ``RUN pip …`` (run with that venv's pip first on
``PATH``), ``RUN useradd …`` (skipped: the test runs as whoever runs it) and the metadata
instructions that change no file. Anything else fails loudly, so that a new instruction is
taught here rather than silently left out.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
REQUIREMENTS = ROOT / "requirements"
# The lock files whose wheels the tests install: what the wheel needs, what builds it.
LOCKS = (REQUIREMENTS / "runtime.txt", REQUIREMENTS / "build.txt")
METADATA_ONLY = {"USER", "EXPOSE", "HEALTHCHECK", "CMD", "ENTRYPOINT", "LABEL", "ARG"}
SKIPPED_COMMANDS = {"useradd"}


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without anything that would make an installed command see the
    source tree or the caller's venv, or send pip elsewhere than asked."""
    drop = ("LEAD_ARCHIVE_", "PYTHON", "VIRTUAL_ENV", "PIP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra)
    return env


def offline(wheelhouse: Path, **extra: str) -> dict[str, str]:
    """pip reads only the wheelhouse."""
    return clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse), **extra)


def run(
    args: list[str], *, env: dict[str, str], cwd: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{shlex.join(args)} exited {done.returncode}:\n{done.stdout[-3000:]}\n"
            f"{done.stderr[-3000:]}"
        )
    return done


def wheelhouse_dir() -> Path:
    """Beside the project's venv, so that it outlives a test run; a temporary place else."""
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix) / "wheelhouse"
    return Path(os.environ.get("TMPDIR", "/tmp")) / "lead-archive-wheelhouse"


def fill_wheelhouse(wheelhouse: Path) -> None:
    """Every wheel the lock files name for this platform, hashes checked: from the wheelhouse
    itself when it has them all, else downloaded (once) from the package index."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes"]
    args += ["--only-binary", ":all:", "--dest", str(wheelhouse)]
    for lock in LOCKS:
        args += ["-r", str(lock)]
    have = subprocess.run(
        args, env=offline(wheelhouse), capture_output=True, text=True, check=False, timeout=600
    )
    if have.returncode != 0:
        run(args, env=clean_env())


def new_venv(path: Path) -> Path:
    """A fresh venv with pip (as the python image has); returns its bin directory."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / "bin"


def pip_check(bin_dir: Path, wheelhouse: Path) -> None:
    run([str(bin_dir / "python"), "-m", "pip", "check"], env=offline(wheelhouse))


@dataclass
class Stage:
    """One stage of the Dockerfile: ``root`` stands for its ``/``, ``bin_dir`` for the
    image's Python (a venv)."""

    name: str
    root: Path
    bin_dir: Path
    cwd: Path

    def path(self, where: str) -> Path:
        """A path of the image, inside ``root``."""
        if where.startswith("/"):
            return self.root / where.lstrip("/")
        return self.cwd / where


def instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs: comments dropped, continuation lines joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = pending + stripped
        pending = ""
        word, _, rest = whole.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _ignored_names() -> list[str]:
    """The last component of each .dockerignore pattern (enough for this project's)."""
    patterns = []
    path = ROOT / ".dockerignore"
    for line in path.read_text().splitlines() if path.exists() else []:
        line = line.strip()
        if line and not line.startswith("#"):
            patterns.append(line.rstrip("/").rsplit("/", 1)[-1])
    return patterns


def _copy(sources: list[Path], dest: Path, many: bool) -> None:
    ignored = _ignored_names()

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {n for n in names if any(fnmatch.fnmatch(n, p) for p in ignored)}

    for source in sources:
        if not source.exists():
            raise AssertionError(f"COPY: {source} does not exist")
        if source.is_dir():
            shutil.copytree(source, dest, ignore=ignore, dirs_exist_ok=True)
        else:
            target = dest / source.name if many or dest.is_dir() else dest
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def run_dockerfile(dockerfile: Path, work: Path, wheelhouse: Path) -> list[Stage]:
    """Every stage of ``dockerfile``, run under ``work``; pip installs from the wheelhouse."""
    stages: list[Stage] = []
    for instruction, rest in instructions(dockerfile.read_text()):
        if instruction == "FROM":
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(stages))
            root = work / f"stage-{len(stages)}"
            root.mkdir(parents=True)
            bin_dir = new_venv(work / f"python-{len(stages)}")
            stages.append(Stage(name, root, bin_dir, root))
            continue
        if not stages:
            raise AssertionError(f"{instruction} before FROM")
        stage = stages[-1]
        if instruction == "WORKDIR":
            stage.cwd = stage.path(rest)
            stage.cwd.mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            words = shlex.split(rest)
            origin = None
            while words[0].startswith("--"):
                flag = words.pop(0)
                if flag.startswith("--from="):
                    origin = next(s for s in stages if s.name == flag.split("=", 1)[1])
                else:
                    raise AssertionError(f"COPY {flag}: not known to this runner")
            *names, target = words
            sources = [origin.path(n) if origin else ROOT / n for n in names]
            many = len(sources) > 1 or target.endswith("/")
            _copy(sources, stage.path(target), many)
        elif instruction == "RUN":
            command = shlex.split(rest)[0]
            if command in SKIPPED_COMMANDS:
                continue
            if command != "pip":
                raise AssertionError(f"RUN {rest}: only pip is run outside Docker")
            if re.search(r"(^|\s)/", rest):
                raise AssertionError(f"RUN {rest}: an absolute path would leave the stage")
            path = f"{stage.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
            run(["sh", "-c", rest], env=offline(wheelhouse, PATH=path), cwd=stage.cwd)
        elif instruction not in METADATA_ONLY:
            raise AssertionError(f"{instruction}: not known to this runner")
    return stages
