#!/usr/bin/env bash
# Idempotently provides the PostgreSQL server the tests of the postgres backend use: installs
# Debian's postgresql if missing, creates a cluster outside the clone (initdb refuses root, so the
# cluster belongs to the postgres user), starts it on a loopback port if it is not running, and
# creates the test role and database. Prints the JDBC URL the tests default to.
#
# Environment: ZBIG_PG_DIR (default /var/tmp/zbig-pg), ZBIG_PG_PORT (default 54329).
set -euo pipefail

dir="${ZBIG_PG_DIR:-/var/tmp/zbig-pg}"
port="${ZBIG_PG_PORT:-54329}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "Installing postgresql"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql
fi
bin="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"

# Runs a command as the postgres user (the cluster's owner).
as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  elif [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    sudo -u postgres "$@"
  fi
}

if [ ! -f "$dir/PG_VERSION" ]; then
  $sudo mkdir -p "$dir"
  $sudo chown postgres:postgres "$dir"
  as_postgres "$bin/initdb" -A trust -U postgres -D "$dir" >/dev/null
fi

if ! as_postgres "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200" \
    start >/dev/null
fi

psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt)
if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname = 'zbig'")" != 1 ]; then
  "${psql[@]}" -c "create role zbig login createdb password 'zbig'"
fi
if [ "$("${psql[@]}" -c "select 1 from pg_database where datname = 'zbig_test'")" != 1 ]; then
  "${psql[@]}" -c "create database zbig_test owner zbig"
fi
echo "jdbc:postgresql://127.0.0.1:$port/zbig_test?user=zbig&password=zbig"
