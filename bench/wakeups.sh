#!/usr/bin/env bash
# How often the backend, the proxy and the load generator sleep and are woken, per 1,000 requests,
# for HAProxy and Outpost in alternating rounds against one nginx backend. A count, not a timing:
# it holds on a busy machine. Each sleep (a voluntary context switch) is a wakeup that a send had to
# pay for; an involuntary one is a task preempted, mostly by a peer woken onto its core.
#
# usage: bench/wakeups.sh [--rounds N] [--seconds S]     (from the project root)
#   OUTPOST_JAR   run this build (see ./outpost); OUTPOST_ARGS: extra arguments (default --workers 1)
set -euo pipefail
rounds=3 seconds=8
. "$(dirname "$0")/lib.sh"
read_rounds_seconds "$@"
start_bench wakeups
BACKEND=19331 HAPROXY=19332 OUTPOST=19333
start_backend_haproxy_outpost $BACKEND $HAPROXY $OUTPOST 19335

# Voluntary and involuntary context switches so far of the task whose status file is $1.
switches() { awk '/^voluntary_ctxt/ {v=$2} /^nonvoluntary_ctxt/ {n=$2} END {print v, n}' "$1"; }
haproxy_status=/proc/$(pid_on_port $HAPROXY)/status
outpost_pid=$(pid_on_port $OUTPOST)
for t in /proc/"$outpost_pid"/task/*; do
  case "$(cat "$t/comm")" in outpost-loop*) outpost_status=$t/status; break ;; esac
done
backend_status=/proc/$(pgrep -P "$(cat "$work/backend.pid")" | head -1)/status

for port in $HAPROXY $OUTPOST; do wrk -t1 -c64 -d5s "http://127.0.0.1:$port/" >/dev/null; done
echo "per 1,000 requests: voluntary/involuntary context switches (wrk's over the middle $((seconds - 2)) s)"
for r in $(seq 1 "$rounds"); do
  for n in haproxy outpost; do
    if [ $n = haproxy ]; then port=$HAPROXY proxy=$haproxy_status; else port=$OUTPOST proxy=$outpost_status; fi
    read -r bv0 bn0 < <(switches "$backend_status"); read -r pv0 pn0 < <(switches "$proxy")
    wrk -t1 -c64 -d"${seconds}s" "http://127.0.0.1:$port/" >"$work/wrk.txt" & wrk_pid=$!
    # wrk's connections are open after a second; its event loop is its last thread
    sleep 1; wrk_status=/proc/$wrk_pid/task/$(ls /proc/$wrk_pid/task | sort -n | tail -1)/status
    read -r wv0 wn0 < <(switches "$wrk_status"); sleep $((seconds - 2)); read -r wv1 wn1 < <(switches "$wrk_status")
    wait $wrk_pid
    read -r bv1 bn1 < <(switches "$backend_status"); read -r pv1 pn1 < <(switches "$proxy")
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
    awk -v r="$r" -v n=$n -v rps="$rps" -v s="$seconds" -v b="$((bv1 - bv0)) $((bn1 - bn0))" \
        -v p="$((pv1 - pv0)) $((pn1 - pn0))" -v w="$((wv1 - wv0)) $((wn1 - wn0))" 'BEGIN {
      split(b, B, " "); split(p, P, " "); split(w, W, " "); all = rps * s / 1000; mid = rps * (s - 2) / 1000
      printf "%d %-8s %8.0f req/s   backend %3.0f/%-3.0f  proxy %3.0f/%-3.0f  wrk %3.0f/%-3.0f\n",
        r, n, rps, B[1] / all, B[2] / all, P[1] / all, P[2] / all, W[1] / mid, W[2] / mid }'
  done
done
