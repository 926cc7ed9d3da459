# Sourced by the other scripts: a project virtual environment with what the project needs,
# and MariaDB's server binaries (Debian's mariadb-server when missing and we are root).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# The exact versions of requirements/test.txt (hashes checked; scripts/lock refreshes it), then
# the project itself, editable, without resolving anything more.
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml requirements/test.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --require-hashes -r requirements/test.txt
  .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
  rm -f .venv/.installed-*
  touch "$stamp"
fi

if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's mariadb-server (the server binaries only are used)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      mariadb-server mariadb-client >/dev/null
  else
    echo "MariaDB server binaries not found: install mariadb-server, or set" \
         "LEAD_ARCHIVE_TEST_DSN, or use docker compose" >&2
  fi
fi
