#!/usr/bin/env bash
# Two Outpost configurations side by side against the same nginx backend (three listen ports on one
# worker), rounds alternating so that machine drift hits both alike. Prints the median req/s and p99
# of each and their ratio (B/A).
#
# usage: bench/compare.sh A.yaml B.yaml [--rounds N] [--seconds S] [--conns C] [--header 'Name: value']
#   the files may use __PORT__, __ADMIN__, __B1__, __B2__, __B3__ (filled in here)
#   run from the project root; OUTPOST_ARGS passes extra arguments to ./outpost run (default --workers 1)
set -euo pipefail
a=$1 b=$2; shift 2
rounds=3 seconds=8 conns=64 header=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --header) header=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
. "$(dirname "$0")/lib.sh"
start_bench compare
B1=19511 B2=19512 B3=19513
cat > "$work/backend.conf" <<CONF
worker_processes 1; daemon off; pid $work/backend.pid; error_log $work/backend.err;
events { worker_connections 8192; }
http { access_log off;
  server { listen 127.0.0.1:$B1 backlog=4096; listen 127.0.0.1:$B2 backlog=4096; listen 127.0.0.1:$B3 backlog=4096;
    location / { return 200 "hello world\n"; } } }
CONF
nginx -c "$work/backend.conf" & pids+=($!)
port_of() { [ "$1" = A ] && echo 19504 || echo 19506; }
for side in A B; do
  src=$a; [ "$side" = B ] && src=$b
  port=$(port_of $side)
  sed -e "s/__PORT__/$port/g; s/__ADMIN__/$((port + 1))/g; s/__B1__/$B1/g; s/__B2__/$B2/g; s/__B3__/$B3/g" \
      -e "s#__DIR__#$work/$side#g" "$src" > "$work/$side.yaml"
  ./outpost run -c "$work/$side.yaml" ${OUTPOST_ARGS:---workers 1} >"$work/$side.log" 2>&1 & pids+=($!)
done
hdr=(); [ -n "$header" ] && hdr=(-H "$header")
for side in A B; do
  for _ in $(seq 1 120); do curl -fs "${hdr[@]}" -o /dev/null "http://127.0.0.1:$(port_of $side)/" && break; sleep 0.5; done
  curl -fs "${hdr[@]}" -o /dev/null "http://127.0.0.1:$(port_of $side)/" || { echo "$side did not answer"; tail -20 "$work/$side.log"; exit 1; }
  wrk -t1 -c"$conns" -d5s "${hdr[@]}" "http://127.0.0.1:$(port_of $side)/" >/dev/null
done
for r in $(seq 1 "$rounds"); do
  for side in A B; do
    out=$(wrk -t1 -c"$conns" -d"${seconds}s" --latency "${hdr[@]}" "http://127.0.0.1:$(port_of $side)/")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {v=$2; if (v ~ /ms$/) {sub(/ms/,"",v); v=v*1000} else if (v ~ /us$/) {sub(/us/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000000}; print v}' <<<"$out")
    errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
    echo "$r $side $rps $p99 $errs" | tee -a "$work/results"
  done
done
med() { awk -v s="$1" -v c="$2" '$2==s {print $c}' "$work/results" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ra=$(med A 3) rb=$(med B 3) pa=$(med A 4) pb=$(med B 4)
echo "A $(basename "$a"): $ra req/s, p99 ${pa}us"
echo "B $(basename "$b"): $rb req/s, p99 ${pb}us"
awk -v a="$ra" -v b="$rb" -v pa="$pa" -v pb="$pb" 'BEGIN {printf "B/A throughput ratio: %.3f   p99 ratio: %.2f\n", b/a, pb/pa}'
