#!/usr/bin/env bash
# Runs the SQL tests with the mariadb client, each in a fresh scratch database that is dropped
# afterwards. Usage: sql/tests/run-with-client.sh [mariadb client options] (e.g. -h HOST -u USER)
# Needs the right to CREATE and DROP databases named la_sqltest_*.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sql=$(dirname "$here")
failed=0
for test in "$here"/test_*.sql; do
  db="la_sqltest_$$_$(basename "$test" .sql)"
  mariadb "$@" -e "CREATE DATABASE \`$db\` CHARACTER SET utf8mb3 COLLATE utf8mb3_unicode_ci"
  if cat "$sql"/vicidial/schema.sql "$sql"/vicidial/create_archive.sql "$sql"/schema/*.sql \
       "$sql"/procedures/*.sql "$here"/helpers.sql "$test" | mariadb "$@" "$db" >/dev/null; then
    echo "ok   $(basename "$test")"
  else
    echo "FAIL $(basename "$test")"; failed=1
  fi
  mariadb "$@" -e "DROP DATABASE \`$db\`"
done
exit $failed
