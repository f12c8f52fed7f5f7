#!/usr/bin/env bash
# Loopback figures for the gateway (issue 2): 1 GiB PUT and GET through the
# gateway vs nginx (Debian nginx-full) WebDAV PUT and static GET of the same
# bytes, measured side by side in one run with curl; and the gateway's peak
# RSS (VmHWM) during the PUT; and `dd conv=fsync` of the same bytes into the
# same file system, the floor for a PUT that must be on disk before its 201
# (issue 17). Prints a Markdown table.
# Usage: bench/gateway_vs_nginx.sh [SIZE_MIB] [REPEATS]   (default 1024, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
size_mib=${1:-1024}
repeats=${2:-3}
scripts/deps.sh bench
# shellcheck source=bench/loopback_lib.sh
. bench/loopback_lib.sh
[ -x build/haul ] || scripts/build release


head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/src"

# nginx: WebDAV PUT into a directory, static GET from it.
ng_port=$(free_port)
start_nginx "$work" "127.0.0.1:$ng_port"

# haul gateway on a fresh local store (no access log, as nginx above).
gw_port=$(free_port)
build/haul keygen > "$work/keys"
echo benchtoken > "$work/token"
build/haul gateway --listen "127.0.0.1:$gw_port" --store "fs:$work/store" --access-log off \
  --master-key-file "$work/keys" --token-file "$work/token" > "$work/gateway.log" 2>&1 &
gw_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$gw_port/healthz" >/dev/null && break; sleep 0.1; done

auth="Authorization: Bearer benchtoken"
t() { curl -sS -f -o /dev/null -w '%{time_total}\n' -H 'Expect:' "$@"; }
# dd's wall time: the same bytes written and fsynced, 1 MiB at a time.
dd_fsync() {
  local start end
  start=$(date +%s.%N)
  dd if="$work/src" of="$work/dd.out" bs=1M conv=fsync status=none
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN {printf "%.6f\n", e - s}'
  rm -f "$work/dd.out"
}

for i in $(seq "$repeats"); do
  t -T "$work/src" -H "$auth" "http://127.0.0.1:$gw_port/v1/objects/big" >> "$work/gw_put"
  [ "$i" = 1 ] && rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$gw_pid/status")
  t -H "$auth" "http://127.0.0.1:$gw_port/v1/objects/big" >> "$work/gw_get"
  t -T "$work/src" "http://127.0.0.1:$ng_port/big" >> "$work/ng_put"
  t "http://127.0.0.1:$ng_port/big" >> "$work/ng_get"
  dd_fsync >> "$work/dd_put"
done
# Bytes must match: the gateway's answer against the source.
curl -sS -f -H "$auth" "http://127.0.0.1:$gw_port/v1/objects/big" | cmp - "$work/src"

gp=$(median < "$work/gw_put"); gg=$(median < "$work/gw_get")
np=$(median < "$work/ng_put"); ng=$(median < "$work/ng_get")
dp=$(median < "$work/dd_put")
mib=$size_mib
awk -v gp="$gp" -v gg="$gg" -v np="$np" -v ng="$ng" -v dp="$dp" -v mib="$mib" -v rss="$rss_kib" -v n="$repeats" 'BEGIN {
  printf "| %d MiB on loopback, median of %d | haul gateway | nginx | gateway / nginx time |\n", mib, n
  printf "|---|---|---|---|\n"
  printf "| PUT (gateway: encrypt + fsync; nginx: WebDAV, no fsync) | %.2f s (%.0f MiB/s) | %.2f s (%.0f MiB/s) | %.2f |\n", gp, mib/gp, np, mib/np, gp/np
  printf "| GET (gateway: decrypt; nginx: static sendfile) | %.2f s (%.0f MiB/s) | %.2f s (%.0f MiB/s) | %.2f |\n", gg, mib/gg, ng, mib/ng, gg/ng
  printf "\n| %d MiB on loopback, median of %d | haul gateway PUT | dd conv=fsync | gateway / dd time |\n", mib, n
  printf "|---|---|---|---|\n"
  printf "| written and on disk | %.2f s | %.2f s | %.2f |\n", gp, dp, gp/dp
  printf "\nGateway peak RSS (VmHWM) after the first %d MiB PUT: %.1f MiB\n", mib, rss/1024
}'
