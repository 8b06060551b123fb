#!/usr/bin/env bash
# HTTP ceiling: wrk against pagodad's GET /healthz and against a local nginx
# answering `return 204`, in the same run, and the ratio of the two.
#   tests/bench/http_ceiling.sh [SECONDS=10] [CONNECTIONS=64]
# Needs wrk and nginx (Debian packages), a built pagodad (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}
conns=${2:-64}
tmp=$(mktemp -d /tmp/pagoda-http-XXXXXX)
cleanup() {
  [ -n "${pd:-}" ] && kill "$pd" 2>/dev/null || true
  [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pp=$(port)
np=$(port)
build/core/pagodad --listen 127.0.0.1:$pp --data-dir "$tmp/data" --log-level warn --max-conns-per-ip 100000 >"$tmp/pagodad.log" 2>&1 &
pd=$!
cat >"$tmp/nginx.conf" <<CONF
worker_processes auto;
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$np; location / { return 204; } }
}
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$pp/healthz" >/dev/null && break; sleep 0.1; done
rps() { wrk -t2 -c"$conns" -d"${secs}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
p=$(rps "http://127.0.0.1:$pp/healthz")
n=$(rps "http://127.0.0.1:$np/")
echo "pagodad /healthz: $p req/s (4 HTTP threads)"
echo "nginx return 204: $n req/s (a worker per core)"
python3 -c "print(f'ratio pagodad/nginx: {float(\"$p\") / float(\"$n\"):.2f}')"
