# Sourced by the benchmark scripts: a private redis-server on a free loopback port (no persistence) and
# `bin/latchkey up` on it, in a temporary directory that is removed on exit once the system has stopped (bin/latchkey
# stops its services in order). Sets ROOT, WORK, PORT (Redis's), UP (bin/latchkey's pid), TOKEN (the operator token)
# and DEV (a developer's id). `create_key EXTRA` prints a new key's plaintext; EXTRA adds JSON fields (",...").
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
WORK="$(mktemp -d)"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$PORT" --save "" --appendonly no --daemonize yes --pidfile "$WORK/redis.pid" \
  --logfile "$WORK/redis.log"
UP=""
stop_system() {
  if [ -n "$UP" ]; then
    kill -TERM "$UP" 2> /dev/null || true
    while kill -0 "$UP" 2> /dev/null; do sleep 0.2; done
  fi
  redis-cli -p "$PORT" shutdown nosave > /dev/null || true
  rm -rf "$WORK"
}
trap stop_system EXIT
until redis-cli -p "$PORT" ping > /dev/null 2>&1; do sleep 0.1; done
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
create_key() {
  local key
  key=$(curl -s -X POST "localhost:8081/v1/developers/$DEV/keys" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "{\"name\":\"bench\",\"scopes\":[\"read\"]$1}" | jq -r .key)
  [ -n "$key" ] && [ "$key" != null ] || { echo "a key was not created" >&2; return 1; }
  echo "$key"
}
