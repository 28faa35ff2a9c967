# Sourced by the benchmark scripts, under their `set -euo pipefail`: a private redis-server on a free loopback port
# (no persistence) and `bin/latchkey up` on it (LATCHKEY_DATA_DIR and LATCHKEY_RATELIMIT_REDIS exported), in a
# temporary directory. It owns the EXIT trap: on exit the system is stopped (bin/latchkey stops its services in order),
# then Redis, and the directory is removed. Sets ROOT, WORK, PORT (Redis's), UP (bin/latchkey's pid), TOKEN (the
# operator token) and DEV (a developer's id). `create_key EXTRA` prints a new key's plaintext; EXTRA adds JSON fields
# (",...").
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
WORK="$(mktemp -d)"
PORT=""
UP=""
stop_system() {
  if [ -n "$UP" ]; then
    kill -TERM "$UP" 2> /dev/null || true
    while kill -0 "$UP" 2> /dev/null; do sleep 0.2; done
  fi
  [ -z "$PORT" ] || redis-cli -p "$PORT" shutdown nosave > /dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap stop_system EXIT
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$PORT" --save "" --appendonly no --daemonize yes --pidfile "$WORK/redis.pid" \
  --logfile "$WORK/redis.log"
for _ in $(seq 100); do redis-cli -p "$PORT" ping > /dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$PORT" ping > /dev/null || { cat "$WORK/redis.log" >&2; exit 1; }
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
[ -n "$DEV" ] && [ "$DEV" != null ] || { echo "the developer was not created" >&2; exit 1; }
create_key() {
  local key
  key=$(curl -s -X POST "localhost:8081/v1/developers/$DEV/keys" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "{\"name\":\"bench\",\"scopes\":[\"read\"]$1}" | jq -r .key) || key=""
  [ -n "$key" ] && [ "$key" != null ] || { echo "a key was not created" >&2; return 1; }
  echo "$key"
}
