#!/usr/bin/env bash
# How much of Outpost's gap to HAProxy in peers.sh is JIT warm-up. Two instances of the same
# build run side by side with HAProxy against one nginx backend: one gets --warm seconds of load
# first, the other only the 3 s that peers.sh gives. Then the three alternate in rounds, and the
# medians are printed. See docs/benchmarks.md, "Session 5".
#
# usage: bench/warmup.sh [--warm S] [--rounds N] [--seconds S] [--keepalive-requests N]
#   run it from the project root; --keepalive-requests sets the backend's (nginx default: 1000)
#   OUTPOST_ARGS   extra arguments for both ./outpost run (for example JVM flags through JAVA_OPTS)
set -euo pipefail
warm=240 rounds=5 seconds=8 kar=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --warm) warm=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --keepalive-requests) kar=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
. "$(dirname "$0")/lib.sh"
start_bench warmup
BACKEND=19601 HAPROXY=19602 WARMED=19603 FRESH=19604
write_backend $BACKEND "$kar"
write_haproxy $HAPROXY $BACKEND
write_outpost warmed $WARMED 19605 $BACKEND
write_outpost fresh $FRESH 19606 $BACKEND
nginx -c "$work/backend.conf" & pids+=($!)
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 & pids+=($!)
./outpost run -c "$work/warmed.yaml" --workers 1 ${OUTPOST_ARGS:-} >"$work/warmed.log" 2>&1 & pids+=($!)
await_ports $HAPROXY $WARMED
echo "warming one Outpost for ${warm}s" >&2
left=$warm
while [ "$left" -gt 0 ]; do
  step=$(( left < 30 ? left : 30 ))
  wrk -t1 -c64 -d"${step}s" "http://127.0.0.1:$WARMED/" | awk -v s="$step" '/Requests\/sec/ {print "  " s "s: " $2 " req/s"}' >&2
  left=$(( left - step ))
done
./outpost run -c "$work/fresh.yaml" --workers 1 ${OUTPOST_ARGS:-} >"$work/fresh.log" 2>&1 & pids+=($!)
await_ports $FRESH
for port in $HAPROXY $WARMED $FRESH; do wrk -t1 -c64 -d3s "http://127.0.0.1:$port/" >/dev/null; done
for r in $(seq 1 "$rounds"); do
  for n in haproxy warmed fresh; do
    case $n in haproxy) port=$HAPROXY ;; warmed) port=$WARMED ;; fresh) port=$FRESH ;; esac
    read -r rps p99 < <(wrk_round "$port" "$seconds")
    echo "$r $n $rps $p99" | tee -a "$work/results" >&2
  done
done
echo "contender  req/s(median)  p99_us(median)   (rounds=$rounds, ${seconds}s, warm=${warm}s, keepalive_requests=$kar)"
for n in haproxy warmed fresh; do
  printf "%-10s %14s %15s\n" "$n" "$(awk -v n=$n '$2==n {print $3}' "$work/results" | median)" \
    "$(awk -v n=$n '$2==n {print $4}' "$work/results" | median)"
done
