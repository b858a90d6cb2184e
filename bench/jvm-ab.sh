#!/usr/bin/env bash
# Compares JVM options for wsproxy on one workload: a fresh wsproxy per run, the option sets alternating
# (A B A B ...), the echo backend and the load generator as in bench/run.sh. Prints one line per run.
# Usage: bench/jvm-ab.sh [--reps N] [--workload W] "OPTIONS A" "OPTIONS B" ...   ("" = the JVM's defaults)
# Example: bench/jvm-ab.sh --reps 7 --workload latency "" "-XX:+UseParallelGC"
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_JAR=$ROOT/proxy-bench/target/wsproxy-bench.jar
PROXY_JAR=$ROOT/proxy-app/target/wsproxy.jar
JAVA_OPTS_BENCH="-Xms1g -Xmx2g -XX:+UseParallelGC"   # as bench/run.sh runs the backend and the load generator
REPS=4
WORKLOAD=latency
while [[ $# -gt 0 && $1 == --* ]]; do
  case "$1" in
    --reps) REPS=$2; shift 2 ;;
    --workload) WORKLOAD=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ $# -ge 2 ]] || { sed -n '2,5p' "$0" >&2; exit 2; }
WORK=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

java $JAVA_OPTS_BENCH -jar "$BENCH_JAR" server --port 0 >"$WORK/echo.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do grep -q '^LISTENING' "$WORK/echo.log" && break; sleep 0.1; done
ECHO_PORT=$(grep -o 'LISTENING [0-9.]*:[0-9]*' "$WORK/echo.log" | grep -o '[0-9]*$')
cat >"$WORK/rules.yaml" <<EOR
server: { host: 127.0.0.1, port: 0 }
rules:
  - name: bench
    pattern: "^/"
    target: "ws://127.0.0.1:$ECHO_PORT"
EOR
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) workload=$WORKLOAD reps=$REPS"
for _ in $(seq "$REPS"); do
  for opts in "$@"; do
    # shellcheck disable=SC2086 # the option set holds several words
    java -Xms512m -Xmx512m -Dorg.slf4j.simpleLogger.log.wsproxy.access=warn $opts -jar "$PROXY_JAR" \
      --config "$WORK/rules.yaml" >"$WORK/proxy.log" 2>&1 & proxy=$!
    for _ in $(seq 100); do grep -q 'listening on' "$WORK/proxy.log" && break; sleep 0.1; done
    port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$WORK/proxy.log" | grep -o '[0-9]*$')
    result=$(java $JAVA_OPTS_BENCH -jar "$BENCH_JAR" loadgen "$WORKLOAD" --url "ws://127.0.0.1:$port/" \
      --target wsproxy --cpu-pids "$proxy" --duration 10 --warmup 3 2>&1 | grep '^RESULT' || echo "RESULT error=loadgen_failed")
    echo "options=\"$opts\" ${result#RESULT }"
    kill "$proxy"; wait "$proxy" 2>/dev/null || true
  done
done
