# Shared set-up for the bench scripts: sourced, not run. Makes the work directory, writes the
# backend, HAProxy and Outpost configurations into it, and waits for ports to answer. The scripts
# start the processes themselves and add their pids to `pids`.

# Reads the arguments of a script that takes only --rounds N and --seconds S into $rounds and
# $seconds, which the script sets to its defaults first; anything else ends the script.
read_rounds_seconds() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --rounds) rounds=$2; shift 2 ;;
      --seconds) seconds=$2; shift 2 ;;
      *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
  done
}

# Makes $work, a fresh directory named after $1, and kills every pid in `pids` on exit.
start_bench() {
  work=$(mktemp -d "/tmp/outpost-$1.XXXXXX")
  pids=()
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
}

# An nginx backend answering 12 bytes; $2 is its keepalive_requests (nginx's default: 1000).
write_backend() {
  cat > "$work/backend.conf" <<CONF
worker_processes 1; daemon off; pid $work/backend.pid; error_log $work/backend.err;
events { worker_connections 8192; }
http { access_log off; keepalive_requests ${2:-1000};
  server { listen 127.0.0.1:$1 backlog=4096; location / { return 200 "hello world\n"; } } }
CONF
}

# HAProxy with one thread on port $1, forwarding to the backend on port $2.
write_haproxy() {
  printf 'global\n  nbthread 1\n  maxconn 4000\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  http-reuse always\nfrontend fe\n  bind 127.0.0.1:%s\n  default_backend be\nbackend be\n  server s1 127.0.0.1:%s\n' \
    "$1" "$2" > "$work/haproxy.cfg"
}

# An Outpost configuration named $1.yaml: entry point on port $2, admin on $3, backend on $4.
write_outpost() {
  cat > "$work/$1.yaml" <<CONF
entryPoints:
  web: { address: "127.0.0.1:$2" }
admin: { address: "127.0.0.1:$3" }
journal: { dir: "$work/$1-journal" }
http:
  routers:
    all: { rule: "PathPrefix(\`/\`)", service: backend }
  services:
    backend:
      loadBalancer:
        endpoints:
          - { url: "http://127.0.0.1:$4" }
CONF
}

# Starts the nginx backend on port $1, HAProxy on $2 and Outpost (`./outpost run`, OUTPOST_ARGS or
# --workers 1) on $3 with its admin on $4, and waits until both proxies answer.
start_backend_haproxy_outpost() {
  write_backend "$1"
  write_haproxy "$2" "$1"
  write_outpost outpost "$3" "$4" "$1"
  nginx -c "$work/backend.conf" & pids+=($!)
  haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 & pids+=($!)
  ./outpost run -c "$work/outpost.yaml" ${OUTPOST_ARGS:---workers 1} >"$work/outpost.log" 2>&1 & pids+=($!)
  await_ports "$2" "$3"
}

# Waits until every port given answers GET /.
await_ports() {
  for port in "$@"; do
    for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.5; done
    curl -fs "http://127.0.0.1:$port/" >/dev/null || { echo "nothing answers on port $port" >&2; exit 1; }
  done
}

# One wrk round of $2 seconds with 64 connections against port $1: prints requests/s and p99 (µs).
wrk_round() {
  local out
  out=$(wrk -t1 -c64 -d"$2s" --latency "http://127.0.0.1:$1/")
  awk '/Requests\/sec/ {rps=$2}
       $1=="99%" {v=$2; if (v ~ /ms$/) {sub(/ms/,"",v); v=v*1000} else if (v ~ /us$/) {sub(/us/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000000}; p99=v}
       END {print rps, p99}' <<<"$out"
}

# The median of the numbers on standard input, one per line.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The pid of the process listening on port $1.
pid_on_port() { ss -ltnpH "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1; }

# CPU time (ms, user and system) the process $1 has used so far.
cpu_ms() { set -- $(cut -d' ' -f14,15 /proc/"$1"/stat); echo $(( ($1 + $2) * 1000 / $(getconf CLK_TCK) )); }

# CPU µs per request: $1 ms of CPU over a round of $3 seconds at $2 requests/s.
us_per_request() { awk -v ms="$1" -v rps="$2" -v s="$3" 'BEGIN {printf "%.1f", ms * 1000 / (rps * s)}'; }

# One wrk_round against port $1 for $2 seconds: prints requests/s, p99 (µs) and the CPU µs per request
# of the process $3 over the round ("-" without a pid).
wrk_round_cpu() {
  local before rps p99
  before=$([ -n "${3:-}" ] && cpu_ms "$3" || echo 0)
  read -r rps p99 < <(wrk_round "$1" "$2")
  echo "$rps $p99 $([ -n "${3:-}" ] && us_per_request $(( $(cpu_ms "$3") - before )) "$rps" "$2" || echo -)"
}
