#!/usr/bin/env bash
# Runs the example against a server (default 127.0.0.1:8100); builds it on first use.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/../.."
# shellcheck source=../../bin/find-java.sh
. "$root/bin/find-java.sh"
if [ ! -f "$here/target/hello-0.1.0-SNAPSHOT.jar" ]; then
  (cd "$root" && ./mvnw -q -B -ntp -pl examples/hello -am package -DskipTests) >&2
fi
exec java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -cp "$here/target/hello-0.1.0-SNAPSHOT.jar:$here/target/lib/*" org.zbig.examples.Hello "$@"
