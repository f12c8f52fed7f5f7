#!/usr/bin/env bash
# Installs every Debian package haul needs to build, test, run and bench.
# Idempotent and quiet when everything is present; needs root for apt-get.
# Usage: scripts/deps.sh [build|test|bench|s3]...   (default: build)
set -euo pipefail

build_pkgs=(g++ cmake ninja-build pkg-config libboost-dev libcurl4-openssl-dev libssl-dev zlib1g-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev libgtest-dev libnghttp2-dev curl ca-certificates
  dpkg-dev)  # dpkg-dev: dpkg-shlibdeps, which the .deb (scripts/package) takes its dependencies from
test_pkgs=(clang clang-tidy clang-format libclang-rt-14-dev python3 python3-requests python3-pytest python3-pytest-xdist python3-cryptography openssl iproute2 procps
  python3-boto3 awscli rclone
  iperf3 psmisc nghttp2-client python3-h2
  strace)  # strace: tests count a server's socket reads (tests/integration/conftest.py)
bench_pkgs=(nginx-full gnuplot-nox python3-requests iperf3 time wrk)
s3_pkgs=(ceph-mon ceph-osd radosgw ceph-common ceph-base awscli)

wanted=()
[ $# -eq 0 ] && set -- build
for group in "$@"; do
  case "$group" in
    build) wanted+=("${build_pkgs[@]}") ;;
    test) wanted+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
    bench) wanted+=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
    s3) wanted+=("${s3_pkgs[@]}") ;;
    *) echo "deps.sh: unknown group '$group' (build, test, bench, s3)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages (${missing[*]}); run as root or install them with apt-get" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
