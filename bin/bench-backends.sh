#!/usr/bin/env bash
# Loads/s and durable commits/s with the project's load generator (bin/zbig bench server: the
# read and commit mixes, and raw-commit, the commits from its cheap generator) for one
# RocksDB server, one PostgreSQL server and two PostgreSQL servers on one database, in one run.
# Uses the PostgreSQL of .ci/postgres.sh (a fresh schema, dropped at the end). Not run by CI.
#
#   bin/bench-backends.sh [SECONDS] [CONNECTIONS]     (defaults: 10 s, 4 connections)
#
# BENCH_SERVER_ARGS adds options to every server, e.g. BENCH_SERVER_ARGS='--commit-gather 0'.
# BENCH_WARMUP (default 10) is how many seconds each mix, and pgbench's each script, first runs
# unmeasured on each server: a freshly started JVM runs its first seconds at half speed or less
# while its compilers work, and a benchmark of a server is one of a server that has been running.
#
# With two servers the connections are split between them and both load generators run at once;
# their rates are summed. The baseline, measured in the same run, is PostgreSQL itself driven by
# pgbench with as many clients: primary-key reads of 100 rows of 100 bytes (as the read mix's 100
# objects) and one-row inserts, each its own durable transaction (as the commit mix's one-object
# commits); the ratios are the PostgreSQL servers' rates over it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-10}"
connections="${2:-4}"
warmup="${BENCH_WARMUP:-10}"
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
  # shellcheck disable=SC2086 # BENCH_SERVER_ARGS: more options, split on spaces
  "$root/bin/zbig-server" serve --listen "127.0.0.1:$p" --data "$work/$name" "$@" \
    ${BENCH_SERVER_ARGS:-} >"$work/$name.log" 2>&1 &
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

# unmeasured CMD...: runs CMD for $warmup seconds instead of $seconds, its output dropped.
unmeasured() {
  [ "$warmup" -gt 0 ] || return 0
  local measured="$seconds"
  seconds="$warmup"
  "$@" >/dev/null
  seconds="$measured"
}

# warm PORT...: each mix once, unmeasured, against the servers at PORT...
warm() {
  local mix
  for mix in read commit raw-commit; do unmeasured measure "$mix" "$connections" "$@"; done
}

row() {
  printf '%-34s %12s %18s %18s\n' "$1" "$2" "$3" "${4:-$3}"
}

# pgbench_tps SCRIPT: transactions/s of pgbench running SCRIPT with $connections clients.
pgbench_tps() {
  PGOPTIONS="-c search_path=$schema" pgbench -h 127.0.0.1 -p "$port" -U zbig -n -c "$connections" \
    -j "$(nproc)" -T "$seconds" -f "$1" zbig_test 2>/dev/null |
    awk '/^tps = / {printf "%d", $3}'
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'
}

# the baseline's tables, in the benchmark's schema
"${psql[@]}" -c "set client_min_messages = warning;
  create table $schema.kv (k int primary key, data bytea not null);
  insert into $schema.kv select g, decode(repeat('00', 100), 'hex') from generate_series(1, 100) g;
  create table $schema.log (id bigserial primary key, client int not null, data bytea not null);
  alter table $schema.kv owner to zbig; alter table $schema.log owner to zbig;"
printf '\\set k random(1, 100)\nselect data from kv where k = :k;\n' >"$work/read.sql"
printf "insert into log (client, data) values (:client_id, decode(repeat('00', 100), 'hex'));\n" \
  >"$work/commit.sql"

row "servers" "loads/s" "durable commits/s" "raw-commit"
unmeasured pgbench_tps "$work/read.sql"
unmeasured pgbench_tps "$work/commit.sql"
base_read="$(pgbench_tps "$work/read.sql")"
base_commit="$(pgbench_tps "$work/commit.sql")"
row "baseline: PostgreSQL via pgbench" "$base_read" "$base_commit"
start rocks 18101
warm 18101
row "1 x RocksDB" "$(measure read "$connections" 18101)" "$(measure commit "$connections" 18101)" \
  "$(measure raw-commit "$connections" 18101)"
stop_all
pg=(--backend postgres --jdbc-url "$url")
start pg1 18102 "${pg[@]}"
warm 18102
r1="$(measure read "$connections" 18102)"
c1="$(measure commit "$connections" 18102)"
k1="$(measure raw-commit "$connections" 18102)"
row "1 x PostgreSQL" "$r1" "$c1" "$k1"
start pg2 18103 "${pg[@]}"
warm 18103
r2="$(measure read "$connections" 18102 18103)"
c2="$(measure commit "$connections" 18102 18103)"
k2="$(measure raw-commit "$connections" 18102 18103)"
row "2 x PostgreSQL (one database)" "$r2" "$c2" "$k2"
stop_all
row "ratio 1 x PostgreSQL / baseline" "$(ratio "$r1" "$base_read")" "$(ratio "$c1" "$base_commit")" \
  "$(ratio "$k1" "$base_commit")"
row "ratio 2 x PostgreSQL / baseline" "$(ratio "$r2" "$base_read")" "$(ratio "$c2" "$base_commit")" \
  "$(ratio "$k2" "$base_commit")"
echo "($seconds s per figure after $warmup s of each mix unmeasured, $connections connections in all, $(nproc) cores;" \
  "PostgreSQL $("${psql[@]}" -c 'show server_version'), synchronous_commit" \
  "$("${psql[@]}" -c 'show synchronous_commit'))"
