#!/bin/bash
# First start of the mariadb service: VICIdial's tables with sample leads (the same SQL as
# `lead-archive demo`), the archive as VICIdial documents it, and the gateway's account.
set -euo pipefail
leads=${SAMPLE_LEADS:-10000}
{
  cat /lead-archive/sql/vicidial/schema.sql
  echo "SET @sample_first_id = 1, @sample_last_id = ${leads};"
  cat /lead-archive/sql/vicidial/sample_leads.sql
  cat /lead-archive/sql/vicidial/create_archive.sql
} | mariadb -uroot -p"${MARIADB_ROOT_PASSWORD}" asterisk
mariadb -uroot -p"${MARIADB_ROOT_PASSWORD}" -e \
  "CREATE USER IF NOT EXISTS 'gateway'@'%' IDENTIFIED BY '${GATEWAY_DB_PASSWORD}'"
