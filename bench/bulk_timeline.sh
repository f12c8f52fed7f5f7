#!/usr/bin/env bash
# Where a big transfer's time goes on the emulated 200 ms / 100 Mbit/s link
# (issue 17, item 1): one `haul put` and one `haul get` of SIZE_MIB (fresh
# processes, default flags, extra flags from HAUL_FLAGS), the gateway writing
# its access log, then bench/part_timeline.py on the upload's part of the
# log: the phases before, during and after the bodies, and the rate second by
# second; the same for the download from the client's `--trace` (the
# gateway's log cannot time a download: part_timeline.py says why).
# Usage (root): bench/bulk_timeline.sh [SIZE_MIB]   (default 200)
# HAUL=PATH runs another binary (client and gateway), e.g. for an A/B;
# NETEM_FLAGS adds flags to the link (e.g. "--loss 0.01"), GATEWAY_FLAGS to
# the gateway (e.g. "--congestion cubic").
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-200}
[ -n "${HAUL:-}" ] || { [ -x build/haul ] || scripts/build release haul; }
haul=$(realpath "${HAUL:-build/haul}")
work=$(mktemp -d /tmp/haul-bulk-timeline-XXXXXX)
trap 'rm -rf "$work"' EXIT
head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/src"
"$haul" keygen > "$work/keys"
echo benchtoken > "$work/token"
cat > "$work/client.sh" <<CLIENT
#!/usr/bin/env bash
set -euo pipefail
url="http://\$HAUL_NETEM_SERVER:8080"
for _ in \$(seq 100); do curl -sf -o /dev/null "\$url/healthz" && break; sleep 0.1; done
: > "$work/access.log"  # the readiness checks are not part of the timeline
t0=\$(date +%s%N)
$haul put "$work/src" bulk/timeline --gateway "\$url" --token benchtoken ${HAUL_FLAGS:-} > /dev/null
t1=\$(date +%s%N)
cp "$work/access.log" "$work/put.log"
: > "$work/access.log"
$haul get bulk/timeline "$work/got" --gateway "\$url" --token benchtoken --trace "$work/get.trace" ${HAUL_FLAGS:-} > /dev/null
t2=\$(date +%s%N)
cmp "$work/got" "$work/src"
echo "put wall \$(( (t1 - t0) / 1000000 )) ms, get wall \$(( (t2 - t1) / 1000000 )) ms"
CLIENT
chmod +x "$work/client.sh"
"$haul" netem --delay-ms 100 --rate 100mbit ${NETEM_FLAGS:-} \
  --server-cmd "$haul gateway --listen 0.0.0.0:8080 --store fs:$work/store --master-key-file $work/keys --token-file $work/token --access-log $work/access.log ${GATEWAY_FLAGS:-}" \
  -- "$work/client.sh" 2>&1 | grep -E "^put wall|^netem: (client|server)->"
echo "== the upload, from the gateway's access log"
bench/part_timeline.py "$work/put.log"
echo "== the download, from the client's --trace"
bench/part_timeline.py --client "$work/get.trace"
