#!/usr/bin/env bash
# CPU time per proxied request for HAProxy, nginx and Outpost (one worker each), against the
# same nginx backend. CPU per request is steadier than requests/s on a busy 2-core machine,
# because it does not depend on how much of the machine the proxy gets.
#
# usage: bench/cpu-per-request.sh [--seconds S] [--conns C]     (from the project root)
set -euo pipefail
seconds=5 conns=64
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
. "$(dirname "$0")/lib.sh"
start_bench cpu
BACKEND=19301 HAPROXY=19302 NGINXP=19303 OUTPOST=19304 ADMIN=19305
write_backend $BACKEND
cat > "$work/nginxproxy.conf" <<CONF
worker_processes 1; daemon off; pid $work/nproxy.pid; error_log $work/nproxy.err;
events { worker_connections 8192; }
http { access_log off; upstream be { server 127.0.0.1:$BACKEND; keepalive 128; }
  server { listen 127.0.0.1:$NGINXP backlog=4096;
    location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
write_haproxy $HAPROXY $BACKEND
write_outpost outpost $OUTPOST $ADMIN $BACKEND
nginx -c "$work/backend.conf" & pids+=($!)
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 & pids+=($!); hapid=$!
nginx -c "$work/nginxproxy.conf" & pids+=($!)
./outpost run -c "$work/outpost.yaml" --workers 1 ${OUTPOST_ARGS:-} >"$work/outpost.log" 2>&1 & pids+=($!)
await_ports $HAPROXY $NGINXP $OUTPOST
outpid=$(pgrep -f "outpost.jar run -c $work/outpost.yaml" | head -1)
ngpid=$(pgrep -f "nginx: worker process" -n 2>/dev/null || true)
# the nginx proxy's worker: the child of the master started with nginxproxy.conf
ngmaster=$(pgrep -f "nginx -c $work/nginxproxy.conf" | head -1)
ngpid=$(pgrep -P "$ngmaster" | head -1)
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
for n in haproxy nginx outpost; do
  case $n in haproxy) port=$HAPROXY pid=$hapid ;; nginx) port=$NGINXP pid=$ngpid ;; outpost) port=$OUTPOST pid=$outpid ;; esac
  wrk -t1 -c"$conns" -d"${WARMUP:-10}s" "http://127.0.0.1:$port/" >/dev/null  # warm-up (JIT)
  before=$(ticks "$pid")
  out=$(wrk -t1 -c"$conns" -d"${seconds}s" "http://127.0.0.1:$port/")
  after=$(ticks "$pid")
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  awk -v n="$n" -v t=$((after - before)) -v hz="$hz" -v r="$reqs" -v rps="$rps" \
    'BEGIN {printf "%-8s %8.2f us CPU/request   %10.0f req/s\n", n, t / hz * 1e6 / r, rps}'
done
