#!/usr/bin/env bash
# Live heap and RSS per idle proxied connection on a fresh wsproxy: full GC, open N idle connections through the
# relay, full GC again, compare. (bench/run.sh's idle RSS figure cannot show this for a JVM whose heap earlier
# workloads already made resident.) Usage: bench/idle-heap.sh [N]   (default 9000; fd limit permitting)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-9000}
BENCH_JAR=$ROOT/proxy-bench/target/wsproxy-bench.jar
PROXY_JAR=$ROOT/proxy-app/target/wsproxy.jar
WORK=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
ulimit -n "$(ulimit -Hn)"

java -jar "$BENCH_JAR" server --port 0 >"$WORK/echo.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do grep -q LISTENING "$WORK/echo.log" && break; sleep 0.1; done
ECHO_PORT=$(grep -o 'LISTENING 127.0.0.1:[0-9]*' "$WORK/echo.log" | cut -d: -f2)
cat >"$WORK/rules.yaml" <<EOR
server: { host: 127.0.0.1, port: 0 }
rules:
  - name: bench
    pattern: "^/"
    target: "ws://127.0.0.1:$ECHO_PORT"
EOR
# shellcheck disable=SC2086 # WSPROXY_JAVA_OPTS holds several words (e.g. "-XX:+UseParallelGC -Xlog:gc")
java -Xms512m -Xmx512m -Dorg.slf4j.simpleLogger.log.wsproxy.access=warn ${WSPROXY_JAVA_OPTS:-} -jar "$PROXY_JAR" \
  --config "$WORK/rules.yaml" >"$WORK/proxy.log" 2>&1 & PROXY_PID=$!; PIDS+=($PROXY_PID)
for _ in $(seq 100); do grep -q "listening on" "$WORK/proxy.log" && break; sleep 0.1; done
PORT=$(grep -o 'listening on [0-9.]*:[0-9]*' "$WORK/proxy.log" | grep -o '[0-9]*$')

# the bytes of all live objects (the histogram collects first), whatever the collector
live_kib() { jcmd "$PROXY_PID" GC.class_histogram | awk '/^Total/ { printf "%d\n", $3 / 1024 }'; }
before=$(live_kib)
java -jar "$BENCH_JAR" loadgen idle --url "ws://127.0.0.1:$PORT/" --target wsproxy --count "$N" --hold 20 \
  --pid "$PROXY_PID" >"$WORK/idle.out" 2>&1 & PIDS+=($!)
for _ in $(seq 1200); do grep -q '^OPEN' "$WORK/idle.out" && break; sleep 0.1; done
after=$(live_kib)
for _ in $(seq 600); do grep -q '^RESULT' "$WORK/idle.out" && break; sleep 0.1; done
grep '^RESULT' "$WORK/idle.out"
awk -v b="$before" -v a="$after" -v n="$N" \
  'BEGIN { printf "RESULT workload=idle-heap target=wsproxy connections=%d heap_before_kib=%d heap_after_kib=%d heap_per_conn_kib=%.1f\n", n, b, a, (a - b) / n }'
