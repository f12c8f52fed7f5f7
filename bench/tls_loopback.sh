#!/usr/bin/env bash
# TLS vs plain HTTP on loopback (issue 13): 1 GiB PUT and GET through one
# gateway listening on both (--listen, --tls-listen), beside nginx (Debian
# nginx-full: WebDAV PUT, static GET) on plain and TLS ports, the same curl
# as the client, side by side in one run. Reports the median wall time and the
# server's CPU seconds per GiB (utime + stime from /proc, the gateway process;
# nginx's workers), and checks the bytes the gateway returns over TLS.
# Usage: bench/tls_loopback.sh [SIZE_MIB] [REPEATS]   (default 1024, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
repeats=${2:-3}
scripts/deps.sh bench
# shellcheck source=bench/loopback_lib.sh
. bench/loopback_lib.sh
[ -x build/haul ] || scripts/build release haul

# CPU seconds (user + system) of the given processes so far.
cpu_seconds() {
  local hz total=0 pid
  hz=$(getconf CLK_TCK)
  for pid in "$@"; do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  awk -v t="$total" -v hz="$hz" 'BEGIN {printf "%.3f\n", t / hz}'
}

head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/src"
build/haul tls-init "$work/tls" > /dev/null
ca="$work/tls/ca.pem"

# nginx on two ports: plain and TLS (TLS 1.3 and 1.2, its default ciphers).
ng_plain=$(free_port)
ng_tls=$(free_port)
start_nginx "$work" "127.0.0.1:$ng_plain" "127.0.0.1:$ng_tls ssl"
sleep 0.3
ng_workers=$(pgrep -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')

gw_plain=$(free_port)
gw_tls=$(free_port)
build/haul keygen > "$work/keys"
echo benchtoken > "$work/token"
build/haul gateway --listen "127.0.0.1:$gw_plain" --tls-listen "127.0.0.1:$gw_tls" \
  --tls-cert "$work/tls/server.pem" --tls-key "$work/tls/server-key.pem" --store "fs:$work/store" \
  --access-log off --master-key-file "$work/keys" --token-file "$work/token" > "$work/gateway.log" 2>&1 &
gw_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$gw_plain/healthz" >/dev/null && break; sleep 0.1; done

auth="Authorization: Bearer benchtoken"
# One transfer: appends "wall_s server_cpu_s client_cpu_s" to FILE (the
# server's processes from /proc, curl's user + system from GNU time: on 2
# cores the client's TLS work competes with the server's). HTTP/1.1 on every
# port: curl would take HTTP/2 from the gateway's TLS ALPN and nginx's plain
# and TLS ports speak HTTP/1.1, so TLS alone is what differs.
measure() {
  local file=$1 pids=$2
  shift 2
  local before after wall client
  # shellcheck disable=SC2086
  before=$(cpu_seconds $pids)
  wall=$(/usr/bin/time -f '%U %S' -o "$work/client_time" \
    curl --http1.1 -sS -f -o /dev/null -w '%{time_total}' -H 'Expect:' --cacert "$ca" "$@")
  # shellcheck disable=SC2086
  after=$(cpu_seconds $pids)
  client=$(awk '{print $1 + $2}' "$work/client_time")
  echo "$wall $(awk -v a="$after" -v b="$before" 'BEGIN {print a - b}') $client" >> "$work/$file"
}

for i in $(seq "$repeats"); do
  for scheme in plain tls; do
    if [ "$scheme" = plain ]; then gw="http://127.0.0.1:$gw_plain"; ng="http://127.0.0.1:$ng_plain"
    else gw="https://127.0.0.1:$gw_tls"; ng="https://127.0.0.1:$ng_tls"; fi
    measure "gw_put_$scheme" "$gw_pid" -T "$work/src" -H "$auth" "$gw/v1/objects/big"
    measure "gw_get_$scheme" "$gw_pid" -H "$auth" "$gw/v1/objects/big"
    measure "ng_put_$scheme" "$ng_workers" -T "$work/src" "$ng/big"
    measure "ng_get_$scheme" "$ng_workers" "$ng/big"
  done
done
# Bytes must match: the gateway's TLS answer against the source.
curl -sS -f --cacert "$ca" -H "$auth" "https://127.0.0.1:$gw_tls/v1/objects/big" | cmp - "$work/src"

col() { awk -v c="$2" '{print $c}' "$work/$1" | median; }
gib=$(awk -v m="$size_mib" 'BEGIN {print m / 1024}')
printf '| %d MiB on loopback, median of %d | plain s | TLS s | TLS / plain | server CPU s/GiB plain | server CPU s/GiB TLS | curl CPU s/GiB plain | curl CPU s/GiB TLS |\n' \
  "$size_mib" "$repeats"
printf '|---|---|---|---|---|---|---|---|\n'
for row in "gw_put:haul gateway PUT" "gw_get:haul gateway GET" "ng_put:nginx PUT" "ng_get:nginx GET"; do
  key=${row%%:*}
  name=${row#*:}
  p=$(col "${key}_plain" 1); t=$(col "${key}_tls" 1)
  cp=$(col "${key}_plain" 2); ct=$(col "${key}_tls" 2)
  kp=$(col "${key}_plain" 3); kt=$(col "${key}_tls" 3)
  awk -v n="$name" -v p="$p" -v t="$t" -v cp="$cp" -v ct="$ct" -v kp="$kp" -v kt="$kt" -v g="$gib" 'BEGIN {
    printf "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", n, p, t, t / p, cp / g, ct / g, kp / g, kt / g }'
done
