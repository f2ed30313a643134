#!/usr/bin/env bash
# Start-up of the command line against a bare JVM start, in one run: `bin/zbig --help`,
# `bin/zbig array info NAME` (against a server on this machine, RocksDB, serving one small array)
# and `bin/zbig-server --help`, alternating with `java -version` of the same JDK. Not run by CI.
#
#   bin/bench-startup.sh [RUNS]     (default: 10 runs of each)
#
# Before measuring, the launchers are built and `array info` runs twice, so that bin/launch.sh has
# made its AOT cache from a real command (as a user's second command finds it), and `--help` once,
# which makes the cache help and usage listings start from. Printed: each command's median and
# spread in seconds, and the ratio of its median to that of `java -version` (goal for
# `bin/zbig --help`: at most 1.5).
set -euo pipefail
# shellcheck source=bin/bench-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
runs="${1:-10}"
bench_setup bench-startup
bench_server data

# shellcheck source=bin/find-java.sh
. "$root/bin/find-java.sh"
zbig=("$root/bin/zbig" --server "127.0.0.1:$port")
"${zbig[@]}" array create --shape 1000,10 a >/dev/null
"${zbig[@]}" array info a >/dev/null
"${zbig[@]}" array info a >/dev/null
"$root/bin/zbig" --help >/dev/null # help has a cache of its own (bin/zbig), made here
"$root/bin/zbig-server" --help >/dev/null # and the server's (bin/zbig-server)

ms() { # milliseconds of one run of the command given
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

java_ms=() help_ms=() info_ms=() server_ms=()
for _ in $(seq 1 "$runs"); do
  java_ms+=("$(ms java -version)")
  help_ms+=("$(ms "$root/bin/zbig" --help)")
  info_ms+=("$(ms "${zbig[@]}" array info a)")
  server_ms+=("$(ms "$root/bin/zbig-server" --help)")
done

stats() { # median min max of the numbers given
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.3f %.3f %.3f", m / 1000, v[1] / 1000, v[NR] / 1000 }'
}
read -r jm jlo jhi <<<"$(stats "${java_ms[@]}")"
echo "$runs runs each, alternating; JDK: $(command -v java)"
printf '%-28s median %s s (%s-%s)\n' "java -version" "$jm" "$jlo" "$jhi"
for what in help info server; do
  case "$what" in
    help)
      name="bin/zbig --help"
      read -r m lo hi <<<"$(stats "${help_ms[@]}")"
      ;;
    info)
      name="bin/zbig array info NAME"
      read -r m lo hi <<<"$(stats "${info_ms[@]}")"
      ;;
    *)
      name="bin/zbig-server --help"
      read -r m lo hi <<<"$(stats "${server_ms[@]}")"
      ;;
  esac
  printf '%-28s median %s s (%s-%s), ratio to java -version %s\n' "$name" "$m" "$lo" "$hi" \
    "$(awk -v a="$m" -v b="$jm" 'BEGIN { printf "%.2f", a / b }')"
done
