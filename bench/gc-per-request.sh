#!/usr/bin/env bash
# Young collections and bytes allocated per proxied request, plain proxying to an nginx backend.
# A count, not a timing: it holds on a busy machine, where throughput and latency do not.
# Allocation per request is estimated as (collections x young-generation bytes freed) / requests.
#
# usage: bench/gc-per-request.sh [--seconds S] [--jar PATH]     (from the project root)
#   --jar  run this jar instead of ./outpost's, with the launcher's memory and JIT flags, on $JAVA
#          (default: the last JDK under /usr/lib/jvm), to compare two builds
set -euo pipefail
seconds=20 jar=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
. "$(dirname "$0")/lib.sh"
start_bench gc
BACKEND=19311 OUTPOST=19314 ADMIN=19315
write_backend $BACKEND
write_outpost outpost $OUTPOST $ADMIN $BACKEND
nginx -c "$work/backend.conf" & pids+=($!)
gclog="$work/gc.log"
if [ -z "$jar" ]; then
  JAVA_OPTS="${JAVA_OPTS:-} -Xlog:gc:file=$gclog" ./outpost run -c "$work/outpost.yaml" --workers 1 >"$work/outpost.log" 2>&1 & pids+=($!)
else
  # The launcher's flags, on the jar given (the launcher builds and runs target/outpost.jar only).
  java_bin=${JAVA:-$(ls -d /usr/lib/jvm/*/bin/java | sort -V | tail -1)}
  "$java_bin" -Dio.netty.leakDetection.level=disabled -Xmn48m -XX:CompileThresholdScaling=0.1 \
    -Xlog:gc:file="$gclog" -jar "$jar" run -c "$work/outpost.yaml" --workers 1 >"$work/outpost.log" 2>&1 & pids+=($!)
fi
await_ports $OUTPOST
wrk -t1 -c64 -d"${WARMUP:-10}s" "http://127.0.0.1:$OUTPOST/" >/dev/null  # warm-up (JIT)
before=$(grep -c "Pause Young" "$gclog" || true)
requests=$(wrk -t1 -c64 -d"${seconds}s" "http://127.0.0.1:$OUTPOST/" | awk '/requests in/ {print $1}')
after=$(grep -c "Pause Young" "$gclog" || true)
# What one young collection frees: "Pause Young ... 52M->8M(...)" is 44 MiB.
freed=$(grep "Pause Young" "$gclog" | tail -5 | sed -n 's/.* \([0-9]*\)M->\([0-9]*\)M(.*/\1 \2/p' \
  | awk '{s += $1 - $2; n++} END {print n ? s / n : 0}')
awk -v g=$((after - before)) -v r="$requests" -v f="$freed" 'BEGIN {
  printf "%d requests, %d young collections: %.1f per million requests, ~%.2f KB allocated per request\n",
    r, g, g * 1e6 / r, g * f * 1024 / r }'
