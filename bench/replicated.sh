#!/usr/bin/env bash
# Replicated writes against plain proxying, side by side: 1 KiB POSTs over 1,000 sessions
# (header X-Till), to a replicated service with two replicas (cloud and edge) and to a plain
# loadBalancer in front of the cloud replica alone. Both replicas are nginx `return 201` servers.
# Rounds alternate so that machine drift hits both alike. Prints req/s per round and the ratio.
#
# usage: bench/replicated.sh [--rounds N] [--seconds S] [--conns C]     (from the project root)
set -euo pipefail
rounds=3 seconds=8 conns=64
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
. "$(dirname "$0")/lib.sh"
start_bench repl
CLOUD=19401 EDGE=19402 GATEWAY=19404 ADMIN=19405
cat > "$work/replicas.conf" <<CONF
worker_processes 1; daemon off; pid $work/replicas.pid; error_log $work/replicas.err;
events { worker_connections 8192; }
http { access_log off; client_body_buffer_size 64k;
  server { listen 127.0.0.1:$CLOUD backlog=4096; location / { return 201 "{\"ok\":true}\n"; } }
  server { listen 127.0.0.1:$EDGE backlog=4096; location / { return 201 "{\"ok\":true}\n"; } } }
CONF
cat > "$work/outpost.yaml" <<CONF
entryPoints:
  web: { address: "127.0.0.1:$GATEWAY" }
admin: { address: "127.0.0.1:$ADMIN" }
journal: { dir: "$work/journal" }
http:
  routers:
    plain: { rule: "PathPrefix(\`/plain\`)", service: plain }
    pos: { rule: "PathPrefix(\`/pos\`)", service: pos }
  services:
    plain:
      loadBalancer:
        endpoints: [ { url: "http://127.0.0.1:$CLOUD" } ]
    pos:
      replicated:
        sessionKey: "header:X-Till"
        replicas:
          cloud: { priority: 0, endpoints: ["http://127.0.0.1:$CLOUD"] }
          edge: { priority: 1, endpoints: ["http://127.0.0.1:$EDGE"] }
CONF
head -c 1024 /dev/zero | tr '\0' 'x' > "$work/body"
cat > "$work/post.lua" <<LUA
local f = io.open("$work/body", "rb"); local body = f:read("*a"); f:close()
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["X-Till"] = "till-" .. (n % 1000) }, body)
end
LUA
nginx -c "$work/replicas.conf" & pids+=($!)
./outpost run -c "$work/outpost.yaml" ${OUTPOST_ARGS:-} >"$work/outpost.log" 2>&1 & pids+=($!)
echo "gateway log: $work/outpost.log" >&2
for _ in $(seq 1 120); do curl -fs -o /dev/null -X POST -H 'X-Till: warm' "http://127.0.0.1:$GATEWAY/pos/x" && break; sleep 0.5; done
for path in plain pos; do wrk -t1 -c"$conns" -d5s -s "$work/post.lua" "http://127.0.0.1:$GATEWAY/$path/sales" >/dev/null; done
for r in $(seq 1 "$rounds"); do
  for path in plain pos; do
    out=$(wrk -t1 -c"$conns" -d"${seconds}s" --latency -s "$work/post.lua" "http://127.0.0.1:$GATEWAY/$path/sales")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
    echo "round $r $path $rps req/s p99 $p99 $errs" | tee -a "$work/results"
  done
done
awk '$3=="plain" {p[++i]=$4} $3=="pos" {q[++j]=$4} END {
  n=i; for (a=1;a<=n;a++) for (b=a+1;b<=n;b++) { if (p[b]<p[a]) {t=p[a];p[a]=p[b];p[b]=t} if (q[b]<q[a]) {t=q[a];q[a]=q[b];q[b]=t} } m=int((n+1)/2);
  printf "median: plain %.0f req/s, replicated %.0f req/s, ratio %.2f\n", p[m], q[m], q[m]/p[m] }' "$work/results"
curl -s "http://127.0.0.1:$ADMIN/api/services/pos" | head -c 600; echo
