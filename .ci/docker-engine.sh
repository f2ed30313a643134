#!/usr/bin/env bash
# Prepares Docker for the container tests, idempotently: installs the engine, docker-compose
# and debootstrap from Debian if missing, starts dockerd for loopback-only use (no bridge, no
# iptables: containers use host networking), and builds the local base image zbig-base:jre25
# (a minimal Debian root file system plus a Java 25 runtime made with jlink from the host's JDK)
# when it is missing. No image registry is needed. When something fails it prints the reason and
# the log: in CI (CI set) it then exits 1, so that CI fails instead of the container tests
# skipping; elsewhere it exits 0 and the container tests skip with that reason.
set -uo pipefail

# The failure: its reason, the log's tail, and exit 1 in CI or 0 elsewhere.
fail() {
  echo "docker-engine: $1"
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    tail -n 40 "$2" | sed 's/^/  | /'
  fi
  if [ -n "${CI:-}" ]; then
    exit 1
  fi
  echo "docker-engine: (outside CI) the container tests skip"
  exit 0
}
cd "$(dirname "$0")/.."

base_image=zbig-base:jre25
cache="${ZBIG_CACHE_DIR:-/var/cache/zbig}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  echo "docker-engine: installing ${missing[*]}"
  $sudo apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
    "${missing[@]}" >/dev/null || fail "cannot install ${missing[*]}"
fi

if ! docker info >/dev/null 2>&1; then
  echo "docker-engine: starting dockerd (--bridge=none --iptables=false)"
  $sudo mkdir -p /var/log
  ($sudo dockerd --bridge=none --iptables=false >/var/tmp/zbig-dockerd.log 2>&1 &)
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! docker info >/dev/null 2>&1; then
    fail "dockerd did not start" /var/tmp/zbig-dockerd.log
  fi
fi

if docker image inspect "$base_image" >/dev/null 2>&1; then
  echo "docker-engine: ready, base image $base_image present"
  exit 0
fi

$sudo mkdir -p "$cache"
rootfs="$cache/bookworm-minbase.tar"
if [ ! -s "$rootfs" ]; then
  echo "docker-engine: making a Debian bookworm root file system with debootstrap (cached in $cache)"
  work="$(mktemp -d /var/tmp/zbig-rootfs.XXXXXX)"
  if ! $sudo debootstrap --variant=minbase bookworm "$work" http://deb.debian.org/debian \
      >/var/tmp/zbig-debootstrap.log 2>&1; then
    $sudo rm -rf "$work"
    fail "debootstrap failed" /var/tmp/zbig-debootstrap.log
  fi
  $sudo rm -rf "$work/var/cache/apt/archives/"*.deb "$work/var/lib/apt/lists/"*
  $sudo tar -C "$work" -cf "$rootfs.part" . && $sudo mv "$rootfs.part" "$rootfs"
  $sudo rm -rf "$work"
fi
docker import "$rootfs" zbig-debian:bookworm >/var/tmp/zbig-import.log 2>&1 ||
  fail "docker import of the root file system failed" /var/tmp/zbig-import.log

# shellcheck source=../bin/find-java.sh
. bin/find-java.sh
context="$(mktemp -d /var/tmp/zbig-base.XXXXXX)"
"$JAVA_HOME/bin/jlink" --output "$context/jre" --strip-debug --no-header-files --no-man-pages \
  --add-modules java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql,java.xml,jdk.crypto.ec,jdk.httpserver,jdk.management,jdk.unsupported,jdk.zipfs \
  >/var/tmp/zbig-jlink.log 2>&1 || fail "jlink of the image's Java runtime failed" /var/tmp/zbig-jlink.log
cat >"$context/Dockerfile" <<'DOCKERFILE'
FROM zbig-debian:bookworm
COPY jre /opt/java/openjdk
ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
DOCKERFILE
docker build -q -t "$base_image" "$context" >/var/tmp/zbig-build.log 2>&1 ||
  fail "docker build of $base_image failed" /var/tmp/zbig-build.log
rm -rf "$context"
echo "docker-engine: ready, built base image $base_image"
