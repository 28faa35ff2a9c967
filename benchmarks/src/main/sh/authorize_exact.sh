#!/usr/bin/env bash
# Exact rate-limit mode through the gateway listener: /authorize at 5,000/s on 8090 for a key without a rate limit
# (the local path), for a key with one (every decision asks Redis: a private redis-server on loopback, no
# persistence) and for a key with one and a monthly quota, interleaved round by round. The limit (100 M a minute) and
# the quota (10^12 a month) are never reached, so every exact decision is a full take and a full count. Needs gcc,
# curl, jq, taskset, redis-server, redis-cli, python3, and the ports of bin/latchkey free.
#   benchmarks/src/main/sh/authorize_exact.sh
# Prints one line per run: the key, the CPU time per request (µs, from /proc) of the edge and of redis-server, the
# decisions made from a local bucket because Redis was paused or missed its 5 ms budget
# (latchkey_ratelimit_degraded_total; for the quota key a late reply the local bucket admits counts twice, once for
# each limiter), and authorize_load's line. CPU and degraded decisions count the whole run, 5 s of warm-up and 20 s
# measured (125,000 requests); the latencies only the 100,000 measured.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
WORK="$(mktemp -d)"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$PORT" --save "" --appendonly no --daemonize yes --pidfile "$WORK/redis.pid" \
  --logfile "$WORK/redis.log"
UP=""
trap '[ -n "$UP" ] && kill -TERM -- -"$UP"; redis-cli -p "$PORT" shutdown nosave > /dev/null; rm -rf "$WORK"' EXIT
until redis-cli -p "$PORT" ping > /dev/null 2>&1; do sleep 0.1; done
gcc -O2 -o "$WORK/authorize_load" "$ROOT/benchmarks/src/main/c/authorize_load.c" -lm
export LATCHKEY_DATA_DIR="$WORK/data" LATCHKEY_RATELIMIT_REDIS="redis://127.0.0.1:$PORT"
setsid "$ROOT/bin/latchkey" up > "$WORK/up.log" 2>&1 &
UP=$!
until grep -q "Latchkey is up" "$WORK/up.log"; do
  kill -0 "$UP" 2> /dev/null || { cat "$WORK/up.log" >&2; exit 1; }
  sleep 1
done
TOKEN=$(cat "$WORK/data/operator-token")
DEV=$(curl -s -X POST localhost:8081/v1/developers -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{"name":"Ada","email":"ada@example.com"}' | jq -r .developerId)
create() {
  curl -s -X POST "localhost:8081/v1/developers/$DEV/keys" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "{\"name\":\"bench\",\"scopes\":[\"read\"]$1}" | jq -r .key
}
LOCAL=$(create '')
EXACT=$(create ',"rateLimit":{"limit":100000000,"periodSeconds":60}')
QUOTA=$(create ',"rateLimit":{"limit":100000000,"periodSeconds":60},"quota":{"requestsPerMonth":1000000000000}')
for key in "$LOCAL" "$EXACT" "$QUOTA"; do [ "$key" != null ] || { echo "a key was not created" >&2; exit 1; }; done
sleep 1
EDGE=$(pgrep -P "$UP" -f "validator-edge.*exec.jar")
REDIS=$(cat "$WORK/redis.pid")
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
degraded() {
  curl -sf localhost:8080/actuator/prometheus \
    | awk '/^latchkey_ratelimit_degraded_total[ {]/ {s += $NF; n++} END {if (!n) exit 1; print int(s)}'
}
us() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t * 1e6 / hz / 125000}'; }
load() { taskset -c 1 "$WORK/authorize_load" 127.0.0.1 8090 "$1" read "$2" 20 "$3" 32 | tail -1; }
for key in "$LOCAL" "$EXACT" "$QUOTA"; do load "$key" 2500 0 >/dev/null; load "$key" 5000 0 >/dev/null; done
for round in 1 2 3; do
  for name in local exact quota; do
    key=$LOCAL; [ $name = exact ] && key=$EXACT; [ $name = quota ] && key=$QUOTA
    d0=$(degraded); e0=$(ticks "$EDGE"); r0=$(ticks "$REDIS")
    line=$(load "$key" 5000 5)
    e1=$(ticks "$EDGE"); r1=$(ticks "$REDIS"); d1=$(degraded)
    echo "round $round key $name cpu-us-per-request edge $(us $((e1 - e0))) redis $(us $((r1 - r0)))" \
      "degraded $((d1 - d0)) $line"
  done
done
