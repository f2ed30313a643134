#!/usr/bin/env bash
# `bin/zbig array import` and `array export` of a float64 .npy against `cp` of the same bytes, in
# one run, as a user types them. Not run by CI.
#
#   bin/bench-cli.sh [MIB] [ROUNDS]     (defaults: 1024 MiB, 3 rounds)
#
# The .npy (distinct values, so that no block is trimmed as zeros) and the exports live on tmpfs
# (/dev/shm); the server (bin/zbig-server serve, RocksDB) keeps its data in a fresh folder under
# /tmp, on disk: an import commits durably. Each round imports under a new name, exports it back to
# tmpfs, checks the export equals the source byte for byte after the header, and copies the source
# with cp. Printed per round: the times, the ratios cp / ours (the goal: export >= 0.5, import >=
# 0.25), and the same ratios with the JVM start-up (a `bin/zbig --version`, measured in the same
# round) taken out of our times. Before the rounds, a 16 MiB array is imported and exported three
# times, unmeasured: the launcher then has its AOT cache made from a command that moves data
# (bin/launch.sh records one, then makes the cache at the next launch, about 2 s once), as a user's
# later commands find it, and round 1 does not pay for it.
set -euo pipefail
# shellcheck source=bin/bench-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
mib="${1:-1024}"
rounds="${2:-3}"
bench_setup bench-cli

/usr/bin/python3 - "$shm/a.npy" "$mib" <<'EOF'
import sys, numpy as np
path, mib = sys.argv[1], int(sys.argv[2])
n = mib * (1 << 20) // 8
a = np.lib.format.open_memmap(path, mode="w+", dtype="<f8", shape=(n,))
step = 1 << 22
for i in range(0, n, step):
    a[i:i + step] = np.arange(i, min(n, i + step), dtype="<f8") * 0.25
a.flush()
EOF

bench_server data

zbig=("$root/bin/zbig" --server "127.0.0.1:$port")
/usr/bin/python3 -c 'import numpy as np, sys; np.save(sys.argv[1], np.arange(1 << 21) * 0.5)' \
  "$shm/warm.npy"
quiet() { "$@" >"$work/cli.log" 2>&1 || { cat "$work/cli.log" >&2; exit 1; }; }
for w in 1 2 3; do
  quiet "${zbig[@]}" array import "warm$w" "$shm/warm.npy"
  quiet "${zbig[@]}" array export "warm$w" "$shm/warm-out.npy"
  rm -f "$shm/warm-out.npy"
done
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (a - b > 0.001 ? a - b : 0.001) }'; }

echo "size: $mib MiB float64; server data on $(df --output=source "$work" | tail -1), files on tmpfs"
for r in $(seq 1 "$rounds"); do
  t0=$(now); "$root/bin/zbig" --version >/dev/null; t1=$(now)
  startup=$(secs "$t0" "$t1")
  t0=$(now); cp "$shm/a.npy" "$shm/copy.npy"; t1=$(now)
  cp_s=$(secs "$t0" "$t1")
  rm -f "$shm/copy.npy"
  t0=$(now); "${zbig[@]}" array import "a$r" "$shm/a.npy" >"$work/cli.log" 2>&1 || { cat "$work/cli.log" >&2; exit 1; }; t1=$(now)
  import_s=$(secs "$t0" "$t1")
  t0=$(now); "${zbig[@]}" array export "a$r" "$shm/out.npy" >"$work/cli.log" 2>&1 || { cat "$work/cli.log" >&2; exit 1; }; t1=$(now)
  export_s=$(secs "$t0" "$t1")
  /usr/bin/python3 - "$shm/a.npy" "$shm/out.npy" <<'EOF'
import sys, numpy as np
a, b = np.load(sys.argv[1], mmap_mode="r"), np.load(sys.argv[2], mmap_mode="r")
if a.dtype != b.dtype or a.shape != b.shape or not np.array_equal(a, b):
    sys.exit("the export differs from the source")
EOF
  rm -f "$shm/out.npy"
  mbs() { awk -v s="$1" -v m="$mib" 'BEGIN { printf "%.0f", m * 1.048576 / s }'; }
  echo "round $r: cp ${cp_s} s ($(mbs "$cp_s") MB/s); start-up ${startup} s;" \
    "import ${import_s} s ($(mbs "$import_s") MB/s), ratio $(ratio "$cp_s" "$import_s")" \
    "($(ratio "$cp_s" "$(minus "$import_s" "$startup")") without start-up);" \
    "export ${export_s} s ($(mbs "$export_s") MB/s), ratio $(ratio "$cp_s" "$export_s")" \
    "($(ratio "$cp_s" "$(minus "$export_s" "$startup")") without start-up)"
done
