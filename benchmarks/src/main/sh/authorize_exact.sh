#!/usr/bin/env bash
# Exact rate-limit mode through the gateway listener: /authorize at 5,000/s (or at each of RATES) on 8090 for a key
# without a rate limit (the local path), for a key with one (every decision asks Redis: a private redis-server on
# loopback, no persistence) and for a key with one and a monthly quota, interleaved round by round. The limit (100 M a
# minute) and the quota (10^12 a month) are never reached, so every exact decision is a full take and a full count.
# Needs gcc, curl, jq, taskset, redis-server, redis-cli, python3, and the ports of bin/latchkey free; SCHEDS other
# than "other" need chrt, renice and the right to raise priorities (root, or CAP_SYS_NICE).
#   benchmarks/src/main/sh/authorize_exact.sh
#   RATES="1000 2000 5000" benchmarks/src/main/sh/authorize_exact.sh    (each round runs every rate, each key)
#   SCHEDS="other nice fifo" benchmarks/src/main/sh/authorize_exact.sh  (each run once per scheduling policy)
#   PLACES="shared split" benchmarks/src/main/sh/authorize_exact.sh     (each run once per placement on the cores)
# Prints one line per run: the rate, the key, the CPU time per request (µs, from /proc) of the edge and of
# redis-server, the decisions made from a local bucket because Redis was paused or missed its 5 ms budget
# (latchkey_ratelimit_degraded_total; for the quota key a late reply the local bucket admits counts twice, once for
# each limiter), and authorize_load's line. CPU and degraded decisions count the whole run, 5 s of warm-up and 20 s
# measured (25 s of requests at the rate); the latencies only the 20 s measured. "decide" is the edge's own time from
# the key to the decision (latchkey_validation_seconds, the Redis call included), over the whole run: the upper bounds
# of the histogram buckets holding its p50, p99 and p99.9, in µs. "sched" is the policy redis-server's threads and
# the edge's gateway threads (its event loops, which make the Redis calls; the 15 characters of a thread's name kept
# by Linux also cover its acceptor and fallback threads) ran under: other (SCHED_OTHER at nice 0, as bin/latchkey
# starts them), nice (the same at nice -10: a larger share, no precedence) or fifo (SCHED_FIFO priority 10, chrt: they
# run as soon as they wake, ahead of every ordinary thread on the two cores). "place" is where the processes run:
# shared (any core, as bin/latchkey starts them; the load generator always on core 1) or split (every thread of the
# edge and of redis-server on core 0, the command and query sides with the generator on core 1: the edge and its
# Redis sharing no core with the other services, as in production).
set -euo pipefail
RATES="${RATES:-5000}"
SCHEDS="${SCHEDS:-other}"
PLACES="${PLACES:-shared}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
# Compiled first, so that an error costs no start-up.
LOAD="$ROOT/benchmarks/target/authorize_load"
mkdir -p "$(dirname "$LOAD")"
gcc -O2 -o "$LOAD" "$ROOT/benchmarks/src/main/c/authorize_load.c" -lm
. "$ROOT/benchmarks/src/main/sh/system.sh"
LOCAL=$(create_key '')
EXACT=$(create_key ',"rateLimit":{"limit":100000000,"periodSeconds":60}')
QUOTA=$(create_key ',"rateLimit":{"limit":100000000,"periodSeconds":60},"quota":{"requestsPerMonth":1000000000000}')
sleep 1
EDGE=$(pgrep -P "$UP" -f "validator-edge.*exec.jar")
REDIS=$(cat "$WORK/redis.pid")
SERVICES=$(pgrep -P "$UP" -f "(command|query)-side.*exec.jar" | tr '\n' ' ')
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
degraded() {
  curl -sf localhost:8080/actuator/prometheus \
    | awk '/^latchkey_ratelimit_degraded_total[ {]/ {s += $NF; n++} END {if (!n) exit 1; print int(s)}'
}
buckets() {
  curl -sf localhost:8080/actuator/prometheus | awk '/^latchkey_validation_seconds_bucket/ {
    match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); print le, $NF}'
}
# The bucket bounds holding the p50, p99 and p99.9 of what was counted between two reads of the buckets.
decide() {
  join <(sort "$1") <(sort "$2") | sort -g | awk '{le[NR] = $1; n[NR] = $3 - $2} END {
    total = n[NR]; split("0.5 0.99 0.999", q, " ")
    if (total == 0) { printf "-"; exit }
    for (i = 1; i <= 3; i++) for (j = 1; j <= NR; j++) if (n[j] >= q[i] * total) {
      printf "%s%s", (i > 1 ? "/" : ""), (le[j] == "+Inf" ? le[j] : sprintf("%.1f", le[j] * 1e6)); break }
  }'
}
# Redis and the edge's gateway threads under a scheduling policy; "other" puts them back as they started.
sched() {
  local args=(-o -p 0) nice=0 tasks task
  [ "$1" = fifo ] && args=(-f -p 10)
  [ "$1" = nice ] && nice=-10
  tasks=$(ls /proc/"$REDIS"/task)
  for task in /proc/"$EDGE"/task/*; do
    if grep -q '^latchkey-gatewa' "$task/comm" 2> /dev/null; then tasks="$tasks ${task##*/}"; fi
  done
  for task in $tasks; do
    if ! { chrt "${args[@]}" "$task" && renice --priority "$nice" -p "$task"; } > /dev/null 2>&1; then
      # A fallback thread may end between the listing and here; anything else is a failure.
      [ ! -e "/proc/$task" ] || { echo "cannot run thread $task under $1" >&2; exit 1; }
    fi
  done
}
place() {
  local edge=0,1 others=0,1 pid
  [ "$1" = split ] && edge=0 others=1
  for pid in "$EDGE" "$REDIS"; do taskset -a -p -c "$edge" "$pid" > /dev/null; done
  for pid in $SERVICES; do taskset -a -p -c "$others" "$pid" > /dev/null; done
}
us() { awk -v t="$1" -v n="$(($2 * 25))" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}'; }
load() { taskset -c 1 "$LOAD" 127.0.0.1 8090 "$1" read "$2" 20 "$3" 32 | tail -1; }
for key in "$LOCAL" "$EXACT" "$QUOTA"; do load "$key" 2500 0 >/dev/null; load "$key" 5000 0 >/dev/null; done
for round in 1 2 3; do
  for rate in $RATES; do
    for name in local exact quota; do
      key=$LOCAL; [ $name = exact ] && key=$EXACT; [ $name = quota ] && key=$QUOTA
      for policy in $SCHEDS; do for where in $PLACES; do
        sched "$policy"
        place "$where"
        buckets > "$WORK/b0"; d0=$(degraded); e0=$(ticks "$EDGE"); r0=$(ticks "$REDIS")
        line=$(load "$key" "$rate" 5)
        e1=$(ticks "$EDGE"); r1=$(ticks "$REDIS"); d1=$(degraded); buckets > "$WORK/b1"
        echo "round $round rate $rate key $name sched $policy place $where" \
          "cpu-us-per-request edge $(us $((e1 - e0)) "$rate") redis $(us $((r1 - r0)) "$rate")" \
          "degraded $((d1 - d0)) decide-us $(decide "$WORK/b0" "$WORK/b1") $line"
      done; done
    done
  done
done
