#!/usr/bin/env bash
# RocksDB compression settings (none, lz4, zstd) on a dense and a sparse float64 array: the data
# folder's size after import and the scan speed and block fault-in latency of `bin/zbig array
# bench`, in one run. Not run by CI.
#
#   bin/bench-compression.sh [MIB]     (default: 512 MiB per array)
#
# The dense array holds random doubles (incompressible); the sparse one is 99% zeros with random
# doubles at random places (its blocks are not trimmed: the last element of each is set). For
# each setting a fresh server (bin/zbig-server serve --compression C) imports both arrays, is
# restarted (so the size is that of its tables and blob files, the log written out), and each
# array is scanned.
set -euo pipefail
# shellcheck source=bin/bench-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
mib="${1:-512}"
bench_setup bench-comp

/usr/bin/python3 - "$shm" "$mib" <<'PY'
import sys, numpy as np
d, mib = sys.argv[1], int(sys.argv[2])
n = mib * (1 << 20) // 8
rng = np.random.default_rng(7)
dense = np.lib.format.open_memmap(d + "/dense.npy", mode="w+", dtype="<f8", shape=(n,))
sparse = np.lib.format.open_memmap(d + "/sparse.npy", mode="w+", dtype="<f8", shape=(n,))
step = 1 << 22
for i in range(0, n, step):
    m = min(n, i + step) - i
    dense[i:i + m] = rng.random(m)
    s = np.zeros(m)
    where = rng.random(m) < 0.01
    s[where] = rng.random(int(where.sum()))
    sparse[i:i + m] = s
per_block = (2 << 20) // 8
sparse[per_block - 1::per_block] = 1.0
dense.flush(); sparse.flush()
PY

echo "arrays: $mib MiB float64 each; server data on $(df --output=source "$work" | tail -1)"
printf "%-8s %-7s %11s %7s %11s %14s %10s\n" setting array "size (MiB)" "of raw" "import s" "scan (MB/s)" "fault-in p50"
for c in none lz4 zstd; do
  for a in dense sparse; do
    bench_server "data-$c-$a" --compression "$c"
    t0=$(date +%s.%N)
    "$root/bin/zbig" --server "127.0.0.1:$port" array import "$a" "$shm/$a.npy" >/dev/null 2>&1
    t1=$(date +%s.%N)
    bench_stop
    bench_server "data-$c-$a" --compression "$c" # the log written out into files at the restart
    # the tables and blob files: what stays (the write-ahead log is written out and dropped)
    size=$(find "$work/data-$c-$a" -maxdepth 1 \( -name '*.sst' -o -name '*.blob' \) -printf '%s\n' |
      awk '{ s += $1 } END { print s + 0 }')
    out=$("$root/bin/zbig" --server "127.0.0.1:$port" array bench "$a" --samples 100 2>/dev/null)
    bench_stop
    scan=$(echo "$out" | awk -F'\t' '/^scan/ { n = split($2, w, " "); print w[n - 3] }')
    p50=$(echo "$out" | awk -F'\t' '/^fault-in/ { match($2, /p50 [0-9.]+ ms/); print substr($2, RSTART + 4, RLENGTH - 4) }')
    printf "%-8s %-7s %11.1f %7.3f %11.1f %14s %10s\n" "$c" "$a" \
      "$(awk -v b="$size" 'BEGIN { print b / 1048576 }')" \
      "$(awk -v b="$size" -v m="$mib" 'BEGIN { print b / (m * 1048576) }')" \
      "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$scan" "$p50"
  done
done
