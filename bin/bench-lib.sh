# Sourced by the bench-*.sh scripts: a tmpfs folder and a disk folder that go away on exit, the
# launchers built before anything is measured, and one bin/zbig-server at a time.
#   bench_setup NAME          sets root, shm (under /dev/shm) and work (under /tmp)
#   bench_server FOLDER [OPTION...]   serves $work/FOLDER on a free port ($port), waits till ready
#   bench_stop                stops it
# The scripts using it set -euo pipefail themselves.

bench_setup() {
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  shm="$(mktemp -d "/dev/shm/zbig-$1.XXXXXX")"
  work="$(mktemp -d "/tmp/zbig-$1.XXXXXX")"
  server_pid=""
  trap bench_cleanup EXIT
  # builds both launchers' jars first, so that no build runs while measuring
  "$root/bin/zbig-server" serve --help >/dev/null
  "$root/bin/zbig" --help >/dev/null
}

bench_cleanup() {
  # (a failing last command of an && list would end the trap under set -e, before the rm)
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$shm" "$work"
}

bench_server() {
  local folder="$1"
  shift
  port=$((20000 + RANDOM % 20000))
  "$root/bin/zbig-server" serve --listen "127.0.0.1:$port" --data "$work/$folder" "$@" \
    >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    grep -q "ready on" "$work/server.log" 2>/dev/null && break
    sleep 0.1
  done
  grep -q "ready on" "$work/server.log" || { cat "$work/server.log" >&2; exit 1; }
}

bench_stop() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
