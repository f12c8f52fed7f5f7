#!/bin/bash
# A/B of two haul clients in one netem run (200 ms RTT, 100 Mbit/s), against
# the gateway of NEW: `haul bench --mode reuse --repeat 6` per size and op,
# alternating old and new, two rounds; prints the median of requests 2-6 (ms).
#   bench/client_ab.sh NEW_HAUL OLD_HAUL   (root: haul netem needs namespaces)
set -eu
NEW=$1; OLD=$2; D=$(mktemp -d); rm -rf $D; mkdir -p $D/store
$NEW keygen > $D/key; echo abtoken > $D/tokens
$NEW netem --delay-ms 100 --rate 100mbit \
  --server-cmd "$NEW gateway --listen 0.0.0.0:8080 --store fs:$D/store --master-key-file $D/key --token-file $D/tokens --access-log off" \
  -- bash -c '
  for i in $(seq 50); do curl -s -o /dev/null http://$HAUL_NETEM_SERVER:8080/healthz && break; sleep 0.2; done
  for round in 1 2; do
  for size in 1M 10M; do for op in put get; do for who in old new; do
    bin='"$OLD"'; [ $who = new ] && bin='"$NEW"'
    ms=$(HAUL_TOKEN=abtoken $bin bench --gateway http://$HAUL_NETEM_SERVER:8080 --token abtoken --size $size --repeat 6 --mode reuse --op $op --json 2>/dev/null | python3 -c "
import sys,json,statistics
rows=[json.loads(l) for l in sys.stdin if l.startswith(\"{\")]
per=[r for r in rows if \"ms\" in r or \"total_ms\" in r]
vals=[r.get(\"total_ms\", r.get(\"ms\")) for r in per if not r.get(\"summary\")]
print(round(statistics.median(vals[1:]),1), len(vals))")
    echo "$round $size $op $who $ms"
  done; done; done; done'
rm -rf "$D"
