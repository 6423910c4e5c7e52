#!/usr/bin/env bash
# User and system CPU per request of the proxy, the backend and the load generator, for HAProxy and
# Outpost in alternating rounds against one nginx backend, on a warmed gateway. With all three on the
# machine's cores, their sum per request is what sets the throughput: a proxy that makes its backend
# or its client work harder pays for it as surely as for its own CPU. Counts from /proc, not timings.
#
# usage: bench/cpu-split.sh [--rounds N] [--seconds S]     (from the project root)
#   OUTPOST_JAR   run this build (see ./outpost); OUTPOST_ARGS: extra arguments (default --workers 1)
set -euo pipefail
rounds=3 seconds=8
. "$(dirname "$0")/lib.sh"
read_rounds_seconds "$@"
start_bench cpu-split
BACKEND=19341 HAPROXY=19342 OUTPOST=19343
start_backend_haproxy_outpost $BACKEND $HAPROXY $OUTPOST 19345
haproxy_pid=$(pid_on_port $HAPROXY)
outpost_pid=$(pid_on_port $OUTPOST)
backend_pid=$(pgrep -P "$(cat "$work/backend.pid")" | head -1)
hz=$(getconf CLK_TCK)

# Warmed: ten short loads on fresh connections, then 3 s each.
for _ in $(seq 1 10); do wrk -t1 -c64 -d1s "http://127.0.0.1:$OUTPOST/" >/dev/null; done
for port in $HAPROXY $OUTPOST; do wrk -t1 -c64 -d3s "http://127.0.0.1:$port/" >/dev/null; done

# User and system clock ticks so far of process $1.
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
# User plus system clock ticks so far of each thread of process $1: "tid ticks" lines.
thread_ticks() { for t in /proc/"$1"/task/*; do awk -v t="${t##*/}" '{print t, $14 + $15}' "$t/stat"; done; }
echo "µs per request, user/system (wrk: the whole run); busiest: the proxy's busiest thread, % of a core"
for r in $(seq 1 "$rounds"); do
  for n in haproxy outpost; do
    if [ $n = haproxy ]; then port=$HAPROXY proxy=$haproxy_pid; else port=$OUTPOST proxy=$outpost_pid; fi
    read -r pu0 ps0 < <(ticks "$proxy"); read -r bu0 bs0 < <(ticks "$backend_pid")
    thread_ticks "$proxy" >"$work/threads0.txt"
    # bash's own `time` gives wrk's user and system seconds
    { TIMEFORMAT='%U %S'; time wrk -t1 -c64 -d"${seconds}s" "http://127.0.0.1:$port/" >"$work/wrk.txt"; } 2>"$work/time.txt"
    read -r pu1 ps1 < <(ticks "$proxy"); read -r bu1 bs1 < <(ticks "$backend_pid")
    thread_ticks "$proxy" >"$work/threads1.txt"
    busiest=$(awk 'NR == FNR {t0[$1] = $2; next} {d = $2 - t0[$1]; if (d > max) max = d} END {print max + 0}' \
      "$work/threads0.txt" "$work/threads1.txt")
    read -r wu ws < "$work/time.txt"
    reqs=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
    awk -v r="$r" -v n=$n -v reqs="$reqs" -v rps="$rps" -v hz="$hz" -v wu="$wu" -v ws="$ws" \
        -v p="$((pu1 - pu0)) $((ps1 - ps0))" -v b="$((bu1 - bu0)) $((bs1 - bs0))" \
        -v busy="$busiest" -v secs="$seconds" 'BEGIN {
      split(p, P, " "); split(b, B, " "); f = 1e6 / hz / reqs; g = 1e6 / reqs
      total = (P[1] + P[2] + B[1] + B[2]) * f + (wu + ws) * g
      printf "%d %-8s %8.0f req/s   proxy %5.2f/%-5.2f  backend %5.2f/%-5.2f  wrk %5.2f/%-5.2f  all %5.1f  busiest %3.0f%%\n",
        r, n, rps, P[1] * f, P[2] * f, B[1] * f, B[2] * f, wu * g, ws * g, total, 100 * busy / hz / secs }'
  done
done
