#!/bin/sh
# Starts PostgreSQL the way the official image's entrypoint does, for the variables the stack
# uses: on the first start (an empty PGDATA) initdb with POSTGRES_USER as the superuser and the
# password from POSTGRES_PASSWORD_FILE (or POSTGRES_PASSWORD), scram-sha-256 for every host,
# listening on all addresses, and the database POSTGRES_DB; then the server, as `postgres`.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ "${1:-}" != postgres ]; then
  exec "$@"
fi

# Started as root: own the data directory (a fresh volume or bind mount), then drop to postgres.
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /run/postgresql
  chown postgres:postgres "$PGDATA" /run/postgresql
  chmod 700 "$PGDATA"
  export HOME=/var/lib/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups /bin/sh "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres}
  db=${POSTGRES_DB:-$user}
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    password=$(cat "$POSTGRES_PASSWORD_FILE")
  else
    password=${POSTGRES_PASSWORD:-}
  fi
  if [ -z "$password" ]; then
    echo "postgres: set POSTGRES_PASSWORD_FILE (or POSTGRES_PASSWORD) for the first start" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$password" > "$pwfile"
  # Local (socket) connections trust, as in the official image; network ones need the password.
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  if [ "$db" != postgres ]; then
    # Socket only while initialising, so a health check over TCP waits for the real server.
    pg_ctl -w -o "-c listen_addresses=''" start
    psql -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres -v db="$db" <<'SQL'
CREATE DATABASE :"db";
SQL
    pg_ctl -w -m fast stop
  fi
  echo "postgres: initialised $PGDATA"
fi

exec "$@"
