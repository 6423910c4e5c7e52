#!/usr/bin/env bash
# What the start-up warm-up (`run --warmup`) buys in peers.sh's load pattern. Two instances of the
# same build run side by side with HAProxy against one nginx backend: one with the default warm-up,
# one with `--warmup 0`. Each gets peers.sh's 3 s of load, then the three alternate in rounds. For
# every round it prints requests/s, p99, the CPU time the instance's C2 compiler thread used during
# the round, and the whole process's CPU time per request (both from /proc), then the medians. See docs/benchmarks.md, "Session 9".
#
# usage: bench/startup-warmup.sh [--rounds N] [--seconds S]
#   run it from the project root
#   OUTPOST_ARGS   extra arguments for both ./outpost run (for example JVM flags through JAVA_OPTS)
set -euo pipefail
rounds=5 seconds=8
. "$(dirname "$0")/lib.sh"
read_rounds_seconds "$@"
start_bench startup-warmup
BACKEND=19701 HAPROXY=19702 WARM=19703 COLD=19704
write_backend $BACKEND
write_haproxy $HAPROXY $BACKEND
write_outpost warm $WARM 19705 $BACKEND
write_outpost cold $COLD 19706 $BACKEND
nginx -c "$work/backend.conf" & pids+=($!)
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 & pids+=($!)
./outpost run -c "$work/warm.yaml" --workers 1 ${OUTPOST_ARGS:-} >"$work/warm.log" 2>&1 & pids+=($!)
./outpost run -c "$work/cold.yaml" --workers 1 --warmup 0 ${OUTPOST_ARGS:-} >"$work/cold.log" 2>&1 & pids+=($!)
await_ports $HAPROXY $COLD $WARM
grep -h "warmed up" "$work/warm.log" | sed 's/^.* - /warm: /' >&2

# CPU time (ms) of the C2 compiler threads of the JVM listening on port $1.
c2_ms() {
  local pid=$1 t=0 d
  for d in /proc/"$pid"/task/*; do
    if grep -q "C2 Compi" "$d/comm" 2>/dev/null; then
      set -- $(cut -d' ' -f14,15 "$d/stat"); t=$((t + $1 + $2))
    fi
  done
  echo $((t * 1000 / $(getconf CLK_TCK)))
}
warm_pid=$(pid_on_port $WARM) cold_pid=$(pid_on_port $COLD)

for port in $HAPROXY $WARM $COLD; do wrk -t1 -c64 -d3s "http://127.0.0.1:$port/" >/dev/null; done
for r in $(seq 1 "$rounds"); do
  for n in haproxy warm cold; do
    case $n in haproxy) port=$HAPROXY pid="" ;; warm) port=$WARM pid=$warm_pid ;; cold) port=$COLD pid=$cold_pid ;; esac
    before=$([ -n "$pid" ] && c2_ms "$pid" || echo 0)
    read -r rps p99 us < <(wrk_round_cpu "$port" "$seconds" "$pid")
    c2=$([ -n "$pid" ] && echo $(( $(c2_ms "$pid") - before )) || echo -)
    echo "$r $n $rps $p99 $c2 $us" | tee -a "$work/results" >&2
  done
done
echo "contender  req/s(median)  p99_us(median)  CPU us/request(median)  C2 ms in rounds 1,2   (rounds=$rounds, ${seconds}s)"
for n in haproxy warm cold; do
  printf "%-10s %14s %15s %22s  %s\n" "$n" "$(awk -v n=$n '$2==n {print $3}' "$work/results" | median)" \
    "$(awk -v n=$n '$2==n {print $4}' "$work/results" | median)" \
    "$(awk -v n=$n '$2==n {print $6}' "$work/results" | median)" \
    "$(awk -v n=$n '$2==n && $1<=2 {printf "%s ", $5}' "$work/results")"
done
