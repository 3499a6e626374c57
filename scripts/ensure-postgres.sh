#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432 with a database `test`; start it if it is
# installed but stopped; say clearly what is missing otherwise.
set -uo pipefail
PGURL="${INCIDENTDESK_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"

answers() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "PostgreSQL client tools are not installed. Install PostgreSQL (Debian: apt-get install postgresql)" >&2
  echo "or point INCIDENTDESK_TEST_POSTGRES_URL at a running server." >&2
  exit 1
fi
if ! answers; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "PostgreSQL is installed but stopped; starting cluster $version/main ..."
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do answers && break; sleep 1; done
  fi
fi
if ! answers; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432 and could not be started." >&2
  echo "Install it (apt-get install postgresql) or set INCIDENTDESK_TEST_POSTGRES_URL." >&2
  exit 1
fi
if ! psql "$PGURL" -Atqc 'select 1' >/dev/null 2>&1; then
  echo "Creating database 'test' ..."
  psql -h 127.0.0.1 -U postgres -d postgres -qc 'create database test' || {
    echo "Could not reach or create the database in $PGURL" >&2; exit 1; }
fi
echo "PostgreSQL ready: $PGURL"
