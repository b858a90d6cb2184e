# Sourced by bench/idle-heap.sh and bench/jvm-ab.sh: a temp dir, an echo backend, and fresh wsproxy processes
# routing everything to it; whatever was started is killed on exit.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_JAR=$ROOT/proxy-bench/target/wsproxy-bench.jar
PROXY_JAR=$ROOT/proxy-app/target/wsproxy.jar
WORK=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# shellcheck source=bench/wsproxy-rules.sh
source "$ROOT/bench/wsproxy-rules.sh"

# start_echo_backend [JVM OPTIONS...]: starts the echo backend, sets ECHO_PORT, writes $WORK/rules.yaml for it
start_echo_backend() {
  java "$@" -jar "$BENCH_JAR" server --port 0 >"$WORK/echo.log" 2>&1 & PIDS+=($!)
  for _ in $(seq 100); do grep -q '^LISTENING' "$WORK/echo.log" && break; sleep 0.1; done
  ECHO_PORT=$(grep -o 'LISTENING [0-9.]*:[0-9]*' "$WORK/echo.log" | grep -o '[0-9]*$')
  wsproxy_rules "$ECHO_PORT" >"$WORK/rules.yaml"
}

# start_wsproxy "JVM OPTIONS": starts wsproxy on $WORK/rules.yaml, sets PROXY_PID and PROXY_PORT
start_wsproxy() {
  # shellcheck disable=SC2086 # the options hold several words
  java -Xms512m -Xmx512m -Dorg.slf4j.simpleLogger.log.wsproxy.access=warn $1 -jar "$PROXY_JAR" \
    --config "$WORK/rules.yaml" >"$WORK/proxy.log" 2>&1 & PROXY_PID=$!; PIDS+=($PROXY_PID)
  for _ in $(seq 100); do grep -q 'listening on' "$WORK/proxy.log" && break; sleep 0.1; done
  PROXY_PORT=$(grep -o 'listening on [0-9.]*:[0-9]*' "$WORK/proxy.log" | grep -o '[0-9]*$')
}
