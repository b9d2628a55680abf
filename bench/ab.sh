#!/bin/bash
# Interleaved A/B of two builds of tswsgi: bench/ab.sh DIR_A DIR_B [ROUNDS] [SECONDS] [CONNECTIONS]
#
# DIR_A and DIR_B are built checkouts (e.g. `git worktree add /tmp/base HEAD~1`, then
# `npx tsc -p .` there). Both serve APP (default examples/hello.wsgi; APP_B for B if it differs)
# with start-server 2 x 8 under /usr/bin/python3 at once; each round runs wrk against both.
# Prints per run: req/s, p99, and CPU microseconds a request of the front end and of all its
# workers (user + system from /proc/PID/stat); then medians. Runs minutes apart on a shared VM
# differ by up to 40 %, so only the pairs mean much.
set -euo pipefail
A=$(realpath "$1"); B=$(realpath "$2"); ROUNDS=${3:-5}; SECONDS_EACH=${4:-5}; CONNS=${5:-16}
APP=$(realpath "${APP:-$(dirname "$0")/../examples/hello.wsgi}"); APP_B=$(realpath "${APP_B:-$APP}")
PORT_A=${PORT_A:-8121}; PORT_B=${PORT_B:-8122}
LOGS=$(mktemp -d)

start() { # dir app port
  node "$1/bin/tswsgi.js" start-server "$2" --port "$3" --processes 2 --threads 8 --python /usr/bin/python3 \
    > "$LOGS/$3.log" 2>&1 &
  echo $!
}
PID_A=$(start "$A" "$APP" "$PORT_A"); PID_B=$(start "$B" "$APP_B" "$PORT_B")
trap 'kill $PID_A $PID_B 2>/dev/null; wait; rm -rf "$LOGS"' EXIT
for port in "$PORT_A" "$PORT_B"; do
  until curl -sf -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.2; done
done

ticks() { local total=0 pid; for pid in "$@"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo $total; }
run() { # pid port: one wrk run, printed as "req/s p99 front-end-us worker-us"
  local workers; workers=$(pgrep -P "$1" | tr '\n' ' ')
  local front0 work0 out front1 work1 count
  front0=$(ticks "$1"); work0=$(ticks $workers)
  out=$(wrk -t2 -c"$CONNS" -d"${SECONDS_EACH}s" --latency "http://127.0.0.1:$2/")
  front1=$(ticks "$1"); work1=$(ticks $workers)
  count=$(echo "$out" | awk '/requests in/{print $1}')
  echo "$out" | awk -v f=$((front1 - front0)) -v w=$((work1 - work0)) -v n="$count" -v hz="$(getconf CLK_TCK)" \
    '/Requests\/sec/{r=$2} /  99%/{p=$2} END{printf "%.0f %s %.0f %.0f\n", r, p, f*1e6/hz/n, w*1e6/hz/n}'
}

wrk -t2 -c"$CONNS" -d2s "http://127.0.0.1:$PORT_A/" > /dev/null; wrk -t2 -c"$CONNS" -d2s "http://127.0.0.1:$PORT_B/" > /dev/null
printf '%-28s | %-28s | %s\n' 'A: req/s p99 front-end worker' 'B: req/s p99 front-end worker' 'B/A'
for round in $(seq "$ROUNDS"); do
  # Which goes first alternates: against itself, a build measured second came out 5-10 % slower.
  if ((round % 2)); then a=$(run "$PID_A" "$PORT_A"); b=$(run "$PID_B" "$PORT_B")
  else b=$(run "$PID_B" "$PORT_B"); a=$(run "$PID_A" "$PORT_A"); fi
  printf '%-28s | %-28s | %.2fx\n' "$a" "$b" "$(echo "$a $b" | awk '{print $5 / $1}')"
  echo "$a $b" >> "$LOGS/rows"
done
awk '{print $1, $3, $4, $5, $7, $8}' "$LOGS/rows" | python3 -c '
import statistics as s, sys
rows = [list(map(float, line.split())) for line in sys.stdin]
m = [s.median(r[i] for r in rows) for i in range(6)]
print("median A %.0f req/s, front end %.0f us, workers %.0f us | B %.0f req/s, front end %.0f us, workers %.0f us | B/A %.2fx"
      % (m[0], m[1], m[2], m[3], m[4], m[5], m[3] / m[0]))'
