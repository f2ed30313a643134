# Sourced by bin/zbig and bin/zbig-server: finds a JDK 25 (bin/find-java.sh, which starts no JVM),
# builds MODULE on first use, and runs MAIN with an ahead-of-time cache of the classes a start
# loads (JDK 25's AOT cache, made by one training run the first time and again whenever the jars
# change; build-rules/ModernizeJars.java makes picocli cacheable), so that a command starts fast.
#   zbig_launch MODULE MAIN [JVM OPTION...] -- ARGS...
# ZBIG_AOT=0 runs without the cache.

zbig_launch() {
  local module="$1" main="$2"
  shift 2
  local jvm=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    jvm+=("$1")
    shift
  done
  [ $# -gt 0 ] && shift
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  # shellcheck source=bin/find-java.sh
  . "$root/bin/find-java.sh"
  local target="$root/$module/target"
  local jar="$target/$module-0.1.0-SNAPSHOT.jar"
  if [ ! -f "$jar" ] || [ ! -d "$target/lib" ] || [ "${ZBIG_REBUILD:-}" = 1 ]; then
    echo "$(basename "$0"): building $module (first use)..." >&2
    (cd "$root" && ./mvnw -q -B -ntp -pl "$module" -am package -DskipTests) >&2
  fi
  local base=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
  local cp="$jar:$target/lib/*"
  if [ "${ZBIG_AOT:-1}" != 0 ]; then
    local aot="$target/$module.aot"
    if [ ! -f "$aot" ] || [ "$jar" -nt "$aot" ] || [ "$target/lib" -nt "$aot" ]; then
      # training run: what --help loads (picocli, the command tree); failure only costs speed
      # (into a file of its own, renamed into place: launches running at once never see half)
      local tmp="$aot.$$"
      if java "${base[@]}" -XX:AOTCacheOutput="$tmp" -Xlog:aot=off -Xlog:cds=off \
        -cp "$cp" "$main" --help >/dev/null 2>&1 && [ -f "$tmp" ]; then
        mv -f "$tmp" "$aot"
      else
        rm -f "$tmp" "$tmp.config"
      fi
    fi
    if [ -f "$aot" ]; then
      base+=(-XX:AOTCache="$aot" -Xlog:aot=off -Xlog:cds=off)
    fi
  fi
  exec java "${base[@]}" "${jvm[@]}" -cp "$cp" "$main" "$@"
}
