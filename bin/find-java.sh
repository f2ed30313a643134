# Sourced by .ci/run and the bin/ launchers: selects a JDK 25 or newer and exports JAVA_HOME
# and PATH. Order: $JAVA_HOME, the first `java` on the PATH, then the JDKs under $ZBIG_JDKS
# (default /usr/lib/jvm; Temurin 25 first, then *-25-* and *25*).
# A JDK's version is read from its `release` file, so choosing one starts no JVM; only a JDK
# without that file is asked by running it. Bash built-ins only on the usual path: on a small VM
# each program a launcher starts (dirname, sed, ...) costs 2-9 ms, and --help takes 0.3 s in all
# (docs/benchmarks.md, start-up). Fails with a clear message when none is found.

zbig_java_major() { # sets zbig_major to the feature version of the JDK at $1, or to nothing
  zbig_major=""
  local line
  if [ -r "$1/release" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in
        JAVA_VERSION=*)
          line="${line#JAVA_VERSION=}"
          line="${line#\"}"
          zbig_major="${line%%[!0-9]*}"
          break
          ;;
      esac
    done <"$1/release"
  fi
  if [ -z "$zbig_major" ] && [ -x "$1/bin/java" ]; then
    zbig_major=$("$1/bin/java" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -1)
  fi
}

zbig_use_java() { # selects the JDK at $1 if it is 25 or newer
  [ -x "$1/bin/java" ] || return 1
  zbig_java_major "$1"
  if [ -n "$zbig_major" ] && [ "$zbig_major" -ge 25 ]; then
    export JAVA_HOME="$1"
    export PATH="$1/bin:$PATH"
    return 0
  fi
  return 1
}

zbig_find_java() {
  local c dir java="" dirs
  # each candidate is looked at only if the ones before it do not do
  [ -n "${JAVA_HOME:-}" ] && zbig_use_java "$JAVA_HOME" && return 0
  IFS=: read -r -a dirs <<<"${PATH:-}"
  for dir in "${dirs[@]}"; do
    if [ -n "$dir" ] && [ -x "$dir/java" ] && [ ! -d "$dir/java" ]; then
      java="$dir/java"
      break
    fi
  done
  if [ -n "$java" ]; then
    if [ -L "$java" ]; then # /usr/bin/java and the like: where the links end
      java=$(readlink -f "$java")
    fi
    c="${java%/*}"
    zbig_use_java "${c%/*}" && return 0
  fi
  local jdks="${ZBIG_JDKS:-/usr/lib/jvm}"
  for c in "$jdks"/temurin-25-jdk-amd64 "$jdks"/*-25-* "$jdks"/*25*; do
    [ -d "$c" ] && zbig_use_java "$c" && return 0
  done
  echo "zbig needs a JDK 25 or newer: none found in \$JAVA_HOME, on the PATH or under $jdks." >&2
  echo "Install one (for example Temurin 25) and set JAVA_HOME to it." >&2
  return 1
}

zbig_find_java
