# Sourced by .ci/run and the bin/ launchers: selects a JDK 25 or newer and exports JAVA_HOME
# and PATH. Order: $JAVA_HOME, the first `java` on the PATH, /usr/lib/jvm/*-25*.
# A JDK's version is read from its `release` file, so choosing one starts no JVM; only a JDK
# without that file is asked by running it. Fails with a clear message when none is found.

zbig_java_major() { # prints the feature version of the JDK at $1, or nothing
  local v=""
  if [ -r "$1/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -1)
  fi
  if [ -z "$v" ] && [ -x "$1/bin/java" ]; then
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -1)
  fi
  echo "$v"
}

zbig_find_java() {
  local candidates=() c v
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*-25-* /usr/lib/jvm/*25*; do
    [ -d "$c" ] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] || continue
    v=$(zbig_java_major "$c")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then
      export JAVA_HOME="$c"
      export PATH="$c/bin:$PATH"
      return 0
    fi
  done
  echo "zbig needs a JDK 25 or newer: none found in \$JAVA_HOME, on the PATH or under /usr/lib/jvm." >&2
  echo "Install one (for example Temurin 25) and set JAVA_HOME to it." >&2
  return 1
}

zbig_find_java
