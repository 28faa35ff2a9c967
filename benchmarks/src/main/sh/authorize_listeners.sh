#!/usr/bin/env bash
# /authorize at 5,000/s on the edge's service port (Tomcat, 8080) and its gateway listener (Netty, 8090), with an
# nginx that answers a static 200 (8099) in the same session as the machine's own floor. Needs gcc, nginx, curl, jq,
# taskset, Linux 5.11+, and the ports of bin/latchkey free.
#   benchmarks/src/main/sh/authorize_listeners.sh            # the whole system running, as bin/latchkey starts it
#   benchmarks/src/main/sh/authorize_listeners.sh alone      # command and query sides paused during each run
# Prints one line per run: port, the edge's CPU time per request (µs, from /proc), and authorize_load's line. With
# PLOT_DIR set, each measured run also writes its percentile distribution there (round<n>-port<p>.csv) for
# io.latchkey.bench.Plot.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
WORK="$(mktemp -d)"
[ -n "${PLOT_DIR:-}" ] && mkdir -p "$PLOT_DIR"
gcc -O2 -o "$WORK/authorize_load" "$ROOT/benchmarks/src/main/c/authorize_load.c" -lm
cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:8099; keepalive_requests 1000000; location / { return 200 "ok"; } } }
CONF
# "alone": the edge keeps answering from a replica whose writers are paused.
[ "${1:-}" = alone ] && export LATCHKEY_REPLICA_MAX_LAG=1h
export LATCHKEY_DATA_DIR="$WORK/data"
setsid "$ROOT/bin/latchkey" up > "$WORK/up.log" 2>&1 &
UP=$!
# This run's own services only: the JVMs bin/latchkey started.
writers() { pgrep -P "$UP" -f "(command|query)-side.*exec.jar" | tr '\n' ' '; }
trap 'kill -CONT $(writers) 2>/dev/null || true; nginx -s stop -c "$WORK/nginx.conf" 2>/dev/null || true; kill -TERM $UP' EXIT
until grep -q "Latchkey is up" "$WORK/up.log"; do sleep 1; done
TOKEN=$(cat "$WORK/data/operator-token")
DEV=$(curl -s -X POST localhost:8081/v1/developers -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"name":"Ada","email":"ada@example.com"}' | jq -r .developerId)
KEY=$(curl -s -X POST "localhost:8081/v1/developers/$DEV/keys" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{"name":"bench","scopes":["read"]}' | jq -r .key)
sleep 1
nginx -c "$WORK/nginx.conf"
EDGE=$(pgrep -P "$UP" -f "validator-edge.*exec.jar")
ticks() { awk '{print $14+$15}' "/proc/$EDGE/stat"; }
load() { taskset -c 1 "$WORK/authorize_load" 127.0.0.1 "$1" "$KEY" read "$2" 20 "$3" 32 ${4:+"$4"} | tail -1; }
for port in 8080 8090; do load $port 2500 0 >/dev/null; load $port 5000 0 >/dev/null; done
for round in 1 2 3; do
  for port in 8080 8090 8099; do
    # Alone: paused for one run (25 s) at a time, resumed for 20 s after it. Hazelcast suspects a member silent for
    # 60 s, and its work from then on would not be the edge's own.
    [ "${1:-}" = alone ] && { kill -STOP $(writers); sleep 1; }
    before=$(ticks); line=$(load $port 5000 5 ${PLOT_DIR:+"$PLOT_DIR/round$round-port$port.csv"}); after=$(ticks)
    [ "${1:-}" = alone ] && { kill -CONT $(writers); sleep 20; }
    echo "round $round port $port edge-cpu-us-per-request $(( (after - before) * 10000 / 125000 )) $line"
  done
done
