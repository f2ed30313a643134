#!/usr/bin/env bash
# The soak (not run by CI): bin/zbig-server serve on RocksDB under a mixed load of client processes
# (three bank clients committing conflicting transfers, an appender of 2 MiB array rows, a reader
# checking the bank's total and the array in every snapshot), killed with kill -9 every few seconds
# and started again on the same data; at the end every acknowledged transfer and row is checked to
# be there, the balances to match the logged transfers, the total to be unchanged, and the array
# rows to hold what was written. Prints one line per cycle and a summary; exits 1 on any failure.
#
#   bin/soak.sh [SECONDS] [MIN-GAP] [MAX-GAP] [SEED]    (defaults: 150 s, kills every 2-5 s)
#
# The driver is org.zbig.it.Soak (integration-tests' test code).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-150}"
min_gap="${2:-2}"
max_gap="${3:-5}"
seed="${4:-$(date +%s%N)}"
# shellcheck source=bin/find-java.sh
. "$root/bin/find-java.sh"
"$root/bin/zbig-server" serve --help >/dev/null # builds the server's jars first
cd "$root"
./mvnw -q -B -ntp install -DskipTests -Dspotless.check.skip=true -pl integration-tests -am
exec ./mvnw -q -B -ntp -Pbench -pl integration-tests exec:exec \
  -Dbench.main=org.zbig.it.Soak -Dbench="$seconds" \
  -Dbench.jvm=-Dzbig.soak="$min_gap,$max_gap,$seed"
