# Sourced by bin/zbig and bin/zbig-server: finds a JDK 25 (bin/find-java.sh, which starts no JVM),
# builds MODULE on first use, and runs MAIN with an ahead-of-time cache of the classes a start
# loads (JDK 25's AOT cache; build-rules/ModernizeJars.java makes picocli cacheable), made again
# whenever the jars change, so that a command starts fast. How the cache learns what a start loads:
#   zbig_aot_train=help (the default): one training run of MAIN --help before the first command;
#   zbig_aot_train=command: the first command other than --help or --version records what it
#     loads (a few seconds slower, once; MAIN sees -Dzbig.aot.record=true and may load more, such
#     as its help), and the launch after it makes the cache from that (about 2 s, once): a
#     command line's start then includes its client classes too.
#     With zbig_aot_data=1 (a command that moves an array's data), a cache not yet learnt from
#     such a command is learnt again from this one: the cache then also holds the data path's
#     classes and the JIT's profiles of its methods, so that the next such command compiles its
#     loops early (docs/benchmarks.md, start-up). Once per build of the jars.
#   A recording command that fails marks its record (MAIN, from -Dzbig.aot.conf); the next launch
#     drops it and records instead.
#   zbig_aot_name=NAME: the cache is $module.NAME.aot instead of $module.aot, with its own training
#     (bin/zbig keeps one for help and usage listings: a JVM loads all of its cache's classes as it
#     starts, so a start is fastest from a cache of what it needs).
#   zbig_launch MODULE MAIN [JVM OPTION...] -- ARGS...
# ZBIG_AOT=0 runs without the cache.

# Whether file $1 exists and was made after the jars of zbig_launch's $jar and $target/lib.
zbig_newer_than_jars() {
  [ -f "$1" ] && [ "$1" -nt "$jar" ] && ! [ "$target/lib" -nt "$1" ]
}

# Whether the arguments ask for help or the version, or are none (a usage listing): a command that
# runs the command line alone. bin/zbig and bin/zbig-server start such commands from a cache of
# their own; a cache that learns from a real command does not learn from them.
zbig_help_asked() {
  case " $* " in
    "  " | *" -h "* | *" --help "* | *" -V "* | *" --version "*) return 0 ;;
  esac
  return 1
}

zbig_launch() {
  local module="$1" main="$2"
  shift 2
  local jvm=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    jvm+=("$1")
    shift
  done
  [ $# -gt 0 ] && shift
  local root here="$PWD" src="${BASH_SOURCE[0]}"
  # the project's folder, with built-ins only (no dirname, no subshell: see bin/find-java.sh)
  [[ "$src" == */* ]] && src="${src%/*}" || src=.
  CDPATH="" cd "$src/.." && root="$PWD" && CDPATH="" cd "$here"
  # shellcheck source=bin/find-java.sh
  . "$root/bin/find-java.sh"
  local target="$root/$module/target"
  local jar="$target/$module-0.1.0-SNAPSHOT.jar"
  if [ ! -f "$jar" ] || [ ! -d "$target/lib" ] || [ "${ZBIG_REBUILD:-}" = 1 ]; then
    echo "${0##*/}: building $module (first use)..." >&2
    (cd "$root" && ./mvnw -q -B -ntp -pl "$module" -am package -DskipTests) >&2
  fi
  local base=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
  local cp="$jar:$target/lib/*"
  if [ -d "$target/native" ]; then
    # native libraries unpacked at build time (RocksDB's: its loader then finds it there instead
    # of copying it out of its jar into a temporary file at every start)
    base+=(-Djava.library.path="$target/native")
  fi
  if [ "${ZBIG_AOT:-1}" != 0 ]; then
    local aot="$target/$module${zbig_aot_name:+.$zbig_aot_name}.aot" record=0 fresh=0 conf="" c
    if zbig_newer_than_jars "$aot"; then
      fresh=1
    fi
    for c in "$aot".conf.*; do # what an earlier command loaded (zbig_aot_train=command)
      case "$c" in
        *.failed) continue ;;
      esac
      if [ -f "$c.failed" ]; then # that command failed: it may have loaded little
        rm -f "$c" "$c.failed"
        continue
      fi
      if [ -f "$c" ] && [ "$c" -nt "$jar" ] && [ "$c" -nt "$target/lib" ] &&
        { [ "$fresh" = 0 ] || [ "$c" -nt "$aot" ]; }; then
        conf="$c"
      fi
    done
    if [ "$fresh" = 0 ] || [ -n "$conf" ]; then
      # a new cache: failure only costs speed; made into a file of its own and renamed into place,
      # so that launches running at once never see half of one
      local tmp="$aot.$$"
      if [ -n "$conf" ]; then
        if java "${base[@]}" -XX:AOTMode=create -XX:AOTConfiguration="$conf" -XX:AOTCache="$tmp" \
          -Xlog:aot=off -Xlog:cds=off -cp "$cp" >/dev/null 2>&1 && [ -f "$tmp" ]; then
          mv -f "$tmp" "$aot"
          case "$conf" in
            *.conf.data.*) touch "$aot.data" ;; # learnt from a command that moved data
          esac
        else
          rm -f "$tmp"
        fi
        rm -f "$aot".conf.*
      elif [ "${zbig_aot_train:-help}" = help ]; then
        # training run: what --help loads (picocli, the command tree)
        if java "${base[@]}" "${jvm[@]}" -XX:AOTCacheOutput="$tmp" -Xlog:aot=off -Xlog:cds=off \
          -cp "$cp" "$main" --help >/dev/null 2>&1 && [ -f "$tmp" ]; then
          mv -f "$tmp" "$aot"
        else
          rm -f "$tmp" "$tmp.config"
        fi
      else
        # this command records what it loads (the JVM writes it at exit, quietly); the next launch
        # makes the cache from it. Not --help or --version: they load too little of the client.
        zbig_help_asked "$@" || record=1
      fi
    elif [ "${zbig_aot_data:-0}" = 1 ] && ! zbig_newer_than_jars "$aot.data"; then
      record=1 # a cache learnt from a shorter command: this one's data path is learnt too
    fi
    if [ "$record" = 0 ] && zbig_newer_than_jars "$aot"; then # made above, or by a launch meanwhile
      base+=(-XX:AOTCache="$aot" -Xlog:aot=off -Xlog:cds=off)
    elif [ "$record" = 1 ]; then
      # exec keeps this shell's pid: the file name is this JVM's own. MAIN marks it .failed if
      # the command fails, and the next launch drops it (and records instead)
      local recorded="$aot.conf.$$"
      if [ "${zbig_aot_data:-0}" = 1 ]; then
        recorded="$aot.conf.data.$$"
      fi
      base+=(-XX:AOTMode=record -XX:AOTConfiguration="$recorded" -Xlog:aot=off -Xlog:cds=off
        -XX:+UnlockDiagnosticVMOptions -XX:-DisplayVMOutput -Dzbig.aot.record=true
        -Dzbig.aot.conf="$recorded")
    fi
  fi
  exec java "${base[@]}" "${jvm[@]}" -cp "$cp" "$main" "$@"
}
