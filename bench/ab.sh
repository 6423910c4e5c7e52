#!/usr/bin/env bash
# Two builds of Outpost side by side with HAProxy against one nginx backend, in peers.sh's pattern:
# 3 s of load each, then rounds that alternate HAProxy, A and B. Before that, both builds get the
# same warm-up from outside (--prewarm cycles of 1 s of load on fresh connections), so the rounds
# compare steady-state code, not the JIT. Prints each round (req/s, p99 µs, the process's CPU µs per
# request from /proc, HAProxy's too) and the medians of rounds 3 and later.
#
# usage: bench/ab.sh A.jar B.jar [--rounds N] [--seconds S] [--prewarm CYCLES]
#   run it from the project root; a jar comes from `./mvnw -DskipTests package` (target/outpost.jar)
#   OUTPOST_ARGS   extra arguments for both (default: --workers 1 --warmup 0 where B knows --warmup)
#   A_ARGS, B_ARGS extra arguments for one of them
#   A_JAVA_OPTS, B_JAVA_OPTS  JVM flags for one of them (the same jar twice compares flags)
set -euo pipefail
a_jar=$(readlink -f "$1") b_jar=$(readlink -f "$2"); shift 2
rounds=6 seconds=8 prewarm=12
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --prewarm) prewarm=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
. "$(dirname "$0")/lib.sh"
start_bench ab
BACKEND=19721 HAPROXY=19722 A=19723 B=19724
write_backend $BACKEND
write_haproxy $HAPROXY $BACKEND
write_outpost a $A 19725 $BACKEND
write_outpost b $B 19726 $BACKEND
nginx -c "$work/backend.conf" & pids+=($!)
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 & pids+=($!)
haproxy_pid=$!
JAVA_OPTS="${JAVA_OPTS:-} ${A_JAVA_OPTS:-}" OUTPOST_JAR=$a_jar ./outpost run -c "$work/a.yaml" ${OUTPOST_ARGS:---workers 1} ${A_ARGS:-} >"$work/a.log" 2>&1 & pids+=($!)
JAVA_OPTS="${JAVA_OPTS:-} ${B_JAVA_OPTS:-}" OUTPOST_JAR=$b_jar ./outpost run -c "$work/b.yaml" ${OUTPOST_ARGS:---workers 1} ${B_ARGS:-} >"$work/b.log" 2>&1 & pids+=($!)
await_ports $HAPROXY $A $B

a_pid=$(pid_on_port $A) b_pid=$(pid_on_port $B)

for _ in $(seq 1 "$prewarm"); do
  for port in $A $B; do wrk -t1 -c64 -d1s "http://127.0.0.1:$port/" >/dev/null; done
done
for port in $HAPROXY $A $B; do wrk -t1 -c64 -d3s "http://127.0.0.1:$port/" >/dev/null; done
for r in $(seq 1 "$rounds"); do
  for n in haproxy a b; do
    case $n in haproxy) port=$HAPROXY pid=$haproxy_pid ;; a) port=$A pid=$a_pid ;; b) port=$B pid=$b_pid ;; esac
    read -r rps p99 us < <(wrk_round_cpu "$port" "$seconds" "$pid")
    echo "$r $n $rps $p99 $us" | tee -a "$work/results" >&2
  done
done
echo "contender  req/s  p99_us  CPU_us/request   (medians of rounds 3-$rounds, ${seconds}s; A=$a_jar B=$b_jar)"
for n in haproxy a b; do
  printf "%-10s %8s %7s %8s\n" "$n" "$(awk -v n=$n '$2==n && $1>=3 {print $3}' "$work/results" | median)" \
    "$(awk -v n=$n '$2==n && $1>=3 {print $4}' "$work/results" | median)" \
    "$(awk -v n=$n '$2==n && $1>=3 {print $5}' "$work/results" | median)"
done
