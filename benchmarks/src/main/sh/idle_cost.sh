#!/usr/bin/env bash
# What the whole system costs the machine while nobody calls it, and what that does to a neighbour's latency.
# Starts bin/latchkey up (a private redis-server on loopback for the edge's rate limits), creates a developer and a
# key, waits SETTLE seconds (default 180: the JIT compiles for minutes after a start), then counts over WINDOW seconds
# (default 60) each service's CPU time and its threads' context switches (voluntary and not: every switch is a
# wake-up or a preemption that a neighbour on the same cores may wait behind). Then, with the system still idle,
# RateLimitRoundTrip (one thread, ROUNDS rounds, default 10) against the private Redis.
# Needs java, curl, jq, redis-server, redis-cli, python3, pgrep, setsid, the benchmarks jar and the ports of
# bin/latchkey free.
#   ./mvnw -q -B install -DskipTests && benchmarks/src/main/sh/idle_cost.sh
# Prints, per service: CPU in % of one core (also without the JIT's compiler threads, busy for minutes after a start),
# context switches a second, and its five busiest threads by switches and by CPU.
set -euo pipefail
SETTLE="${SETTLE:-180}"
WINDOW="${WINDOW:-60}"
ROUNDS="${ROUNDS:-10}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
. "$ROOT/benchmarks/src/main/sh/system.sh"
create_key '' > /dev/null
sleep "$SETTLE"
# One line per thread: pid, tid, CPU ticks, context switches, name; and per process, its CPU ticks (exited threads too).
threads() {
  for pid in "$@"; do
    for task in /proc/"$pid"/task/*; do
      awk -v pid="$pid" -v tid="${task##*/}" -v name="$(tr ' ' _ 2> /dev/null < "$task/comm")" \
        'FNR == NR {s = $0; sub(/^.*\) /, "", s); split(s, f, " "); ticks = f[12] + f[13]; next}
         /^(non)?voluntary_ctxt_switches/ {cs += $2}
         END {print pid, tid, ticks, cs, name}' "$task/stat" "$task/status" 2> /dev/null || true
    done
  done
}
ticks() { awk '{s = $0; sub(/^.*\) /, "", s); split(s, f, " "); print f[12] + f[13]}' "/proc/$1/stat"; }
PIDS=$(pgrep -P "$UP" -f -- "-exec.jar" | tr '\n' ' ')
[ "$(wc -w <<< "$PIDS")" -eq 3 ] || { echo "expected three services, found: $PIDS" >&2; exit 1; }
for pid in $PIDS; do echo "$pid $(ticks "$pid")"; done > "$WORK/cpu-before"
threads $PIDS > "$WORK/before"
sleep "$WINDOW"
threads $PIDS > "$WORK/after"
for pid in $PIDS; do echo "$pid $(ticks "$pid")"; done > "$WORK/cpu-after"
HZ=$(getconf CLK_TCK)
export LC_ALL=C
for pid in $PIDS; do
  name=$(tr '\0' ' ' < "/proc/$pid/cmdline" | grep -oE '[a-z-]+-[0-9.]+(-SNAPSHOT)?-exec.jar' | sed 's/-[0-9].*//')
  cpu=$(( $(awk -v p="$pid" '$1 == p {print $2}' "$WORK/cpu-after") \
    - $(awk -v p="$pid" '$1 == p {print $2}' "$WORK/cpu-before") ))
  join <(awk -v p="$pid" '$1 == p {print $2, $3, $4, $5}' "$WORK/before" | sort -k1,1) \
       <(awk -v p="$pid" '$1 == p {print $2, $3, $4}' "$WORK/after" | sort -k1,1) \
    | awk -v name="$name" -v hz="$HZ" -v w="$WINDOW" -v cpu="$cpu" '
      function busiest(by, text, k, i, best) {
        for (k = 1; k <= 5; k++) {best = 0; for (i in by) if (best == 0 || by[i] > by[best]) best = i
          if (best) {printf " %s", text[best]; delete by[best]}}
      }
      {cs = $6 - $3; total += cs; n[NR] = cs; byCs[NR] = sprintf("%.1f/s %s", cs / w, $4)
       t[NR] = $5 - $2; byCpu[NR] = sprintf("%.2f%% %s", 100 * ($5 - $2) / hz / w, $4)
       if ($4 ~ /^C[12]_CompilerThre/) jit += $5 - $2}
      END {
        printf "%s cpu %.1f%% of a core (%.1f%% without the JIT compiler threads), %.0f switches/s; by switches:",
          name, 100 * cpu / hz / w, 100 * (cpu - jit) / hz / w, total / w
        busiest(n, byCs); printf "; by cpu:"; busiest(t, byCpu); print ""}'
done
java -cp "$ROOT/benchmarks/target/benchmarks.jar" io.latchkey.bench.RateLimitRoundTrip \
  "redis://127.0.0.1:$PORT" "$ROUNDS" | grep -E "^(PING|Lua token bucket)|p50"
