#!/usr/bin/env bash
# The edges' answers around a kill -9 and a restart of the command side, which serves the embedded store: the three
# services started as bin/latchkey starts them (on ports of their own: 9580-9582, 9590, 27917), a key created, then
# /authorize on the gateway listener every 100 ms for 3 s, through the kill and 20 s after it, and for 45 s after the
# restart. Needs curl, jq, python3 and built jars (bin/latchkey builds them).
#   benchmarks/src/main/sh/command_side_restart.sh
# Prints, in seconds from the kill: the restart, when the restarted command side answered its health check, the first
# answer other than 200 after the kill, and the last after the restart, with the count of each status.
set -u
R="$(cd "$(dirname "$0")/../../../.." && pwd)"; V=0.1.0-SNAPSHOT; D=$(mktemp -d); mkdir -p "$D/logs"
export LATCHKEY_DATA_DIR=$D
C=9581; Q=9582; E=9580; G=9590; S=27917; CL=restart-$$
POLL=$D/poll; EVENTS=$D/events
cmd() { java -Xmx512m -jar "$R"/command-side/target/command-side-$V-exec.jar --server.port=$C --latchkey.store.port=$S \
  --latchkey.hazelcast.cluster-name=$CL >>$D/logs/command-side.log 2>&1 & echo $!; }
health() { curl -s -m 1 -o /dev/null -w '%{http_code}' http://127.0.0.1:$1/actuator/health; }
CP=$(cmd); until [ "$(health $C)" = 200 ]; do sleep 0.2; done
java -Xmx512m -jar "$R"/query-side/target/query-side-$V-exec.jar --server.port=$Q --latchkey.hazelcast.cluster-name=$CL \
  --spring.data.mongodb.uri=mongodb://127.0.0.1:$S/latchkey >>$D/logs/query-side.log 2>&1 & QP=$!
java -Xmx512m -jar "$R"/validator-edge/target/validator-edge-$V-exec.jar --server.port=$E --latchkey.edge.gateway-port=$G \
  --latchkey.hazelcast.cluster-name=$CL --latchkey.edge.fallback-url=http://127.0.0.1:$Q/v1/validate \
  --latchkey.usage.command-url=http://127.0.0.1:$C >>$D/logs/edge.log 2>&1 & EP=$!
until [ "$(health $Q)" = 200 ] && [ "$(health $E)" = 200 ]; do sleep 0.2; done
T=$(cat $D/operator-token)
DEV=$(curl -s -X POST localhost:$C/v1/developers -H "Authorization: Bearer $T" -H 'Content-Type: application/json' -d '{"name":"A","email":"a@example.com"}' | jq -r .developerId)
KEY=$(curl -s -X POST localhost:$C/v1/developers/$DEV/keys -H "Authorization: Bearer $T" -H 'Content-Type: application/json' -d '{"name":"k","scopes":["read"]}' | jq -r .key)
sleep 2
poll() { local end=$((SECONDS + $1)); while [ $SECONDS -lt $end ]; do
  echo "$(date +%s.%N | cut -c1-14) $(curl -s -m 2 -o /dev/null -w '%{http_code}' localhost:$G/authorize -H "Authorization: Bearer $KEY")"; sleep 0.1; done; }
poll 3 > $POLL
echo "kill $(date +%s.%N | cut -c1-14)" >> $POLL; kill -9 $CP
poll 20 >> $POLL
echo "restart $(date +%s.%N | cut -c1-14)" >> $POLL; CP=$(cmd)
( until [ "$(health $C)" = 200 ]; do sleep 0.1; done; echo "healthy $(date +%s.%N | cut -c1-14)" >> $EVENTS ) &
poll 45 >> $POLL
kill -TERM $EP $QP $CP; wait 2>/dev/null
python3 - "$POLL" "$EVENTS" <<'PY'
import sys
from collections import Counter
events, points = {}, []
for line in open(sys.argv[1]):
    at, what = line.split()[0], line.split()[1]
    if at in ('kill', 'restart'):
        events[at] = float(what)
    else:
        points.append((float(at), what))
events['healthy'] = float(open(sys.argv[2]).read().split()[1])
kill, restart = events['kill'], events['restart']
first = next((t for t, s in points if t > kill and s != '200'), None)
last = max((t for t, s in points if t > restart and s != '200'), default=None)
print('restart +%.1f s, command side healthy +%.1f s' % (restart - kill, events['healthy'] - kill))
print('first answer other than 200: %s' % ('+%.1f s' % (first - kill) if first else 'none'))
print('last answer other than 200: %s' % ('+%.1f s' % (last - kill) if last else 'none'))
print(dict(Counter(s for t, s in points)))
PY
rm -rf "$D"
