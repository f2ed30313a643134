#!/usr/bin/env bash
# Loads/s and durable commits/s with the project's load generator (bin/zbig bench server) for one
# RocksDB server, one PostgreSQL server and two PostgreSQL servers on one database, in one run.
# Uses the PostgreSQL of .ci/postgres.sh (a fresh schema, dropped at the end). Not run by CI.
#
#   bin/bench-backends.sh [SECONDS] [CONNECTIONS]     (defaults: 10 s, 4 connections)
#
# With two servers the connections are split between them and both load generators run at once;
# their rates are summed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-10}"
connections="${2:-4}"
base_url="$("$root/.ci/postgres.sh")"
port="${ZBIG_PG_PORT:-54329}"
psql=(psql -h 127.0.0.1 -p "$port" -U postgres -d zbig_test -v ON_ERROR_STOP=1 -qAt)
schema="bench_$$"
work="$(mktemp -d /tmp/zbig-bench-backends.XXXXXX)"
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "${psql[@]}" -c "set client_min_messages = warning; drop schema if exists $schema cascade" || true
  rm -rf "$work"
}
trap cleanup EXIT

"${psql[@]}" -c "create schema $schema authorization zbig"
url="$base_url&currentSchema=$schema"

# Builds both launchers' jars first, so that no build runs while measuring.
"$root/bin/zbig-server" serve --help >/dev/null
"$root/bin/zbig" --help >/dev/null

# start NAME PORT ARGS...: a server in the background, waiting for its ready line.
start() {
  local name="$1" p="$2"
  shift 2
  "$root/bin/zbig-server" serve --listen "127.0.0.1:$p" --data "$work/$name" "$@" \
    >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do
    grep -q "ready on" "$work/$name.log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server $name did not start:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}

# measure MIX CONNS PORT...: the summed rate of one load generator per port, run at once.
measure() {
  local mix="$1" conns="$2"
  shift 2
  local n=$# i=0 outs=()
  for p in "$@"; do
    local c=$((conns / n + (i < conns % n ? 1 : 0)))
    "$root/bin/zbig" --server "127.0.0.1:$p" bench server --mix "$mix" --connections "$c" \
      --duration "$seconds" >"$work/bench-$mix-$p.out" 2>&1 &
    outs+=("$work/bench-$mix-$p.out:$!")
    i=$((i + 1))
  done
  local sum=0
  for o in "${outs[@]}"; do
    wait "${o##*:}" || { cat "${o%:*}" >&2; exit 1; }
    local v
    v="$(awk '/^(loads|commits)\/s/ {print $2}' "${o%:*}")"
    sum=$((sum + v))
  done
  echo "$sum"
}

row() {
  printf '%-34s %12s %18s\n' "$1" "$2" "$3"
}

row "servers" "loads/s" "durable commits/s"
start rocks 18101
row "1 x RocksDB" "$(measure read "$connections" 18101)" "$(measure commit "$connections" 18101)"
stop_all
pg=(--backend postgres --jdbc-url "$url")
start pg1 18102 "${pg[@]}"
row "1 x PostgreSQL" "$(measure read "$connections" 18102)" "$(measure commit "$connections" 18102)"
start pg2 18103 "${pg[@]}"
row "2 x PostgreSQL (one database)" "$(measure read "$connections" 18102 18103)" \
  "$(measure commit "$connections" 18102 18103)"
stop_all
echo "($seconds s per figure, $connections connections in all, $(nproc) cores;" \
  "PostgreSQL $("${psql[@]}" -c 'show server_version'), synchronous_commit" \
  "$("${psql[@]}" -c 'show synchronous_commit'))"
