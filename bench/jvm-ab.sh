#!/usr/bin/env bash
# Compares JVM options, or builds, for wsproxy on one workload: a fresh wsproxy per run, the sets alternating
# (A B A B ...), the echo backend and the load generator as in bench/run.sh. Prints one line per run.
# Usage: bench/jvm-ab.sh [--reps N] [--workload W] "OPTIONS A" "OPTIONS B" ...   ("" = the JVM's defaults)
# A set that starts with jar=PATH runs that wsproxy.jar (another build, e.g. from a git worktree) instead.
# --workload forward runs the forward plugin's mux mode (one connection, three upstreams on the echo backend).
# Example: bench/jvm-ab.sh --reps 7 --workload latency "" "-XX:+UseParallelGC"
#          bench/jvm-ab.sh --workload churn "jar=/tmp/before/proxy-app/target/wsproxy.jar" ""
set -euo pipefail
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
# shellcheck source=bench/fresh-wsproxy.sh
source "$(dirname "$0")/fresh-wsproxy.sh"
# shellcheck disable=SC2086 # several words
start_echo_backend $JAVA_OPTS_BENCH
DEFAULT_PROXY_JAR=$PROXY_JAR
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) workload=$WORKLOAD reps=$REPS"
for _ in $(seq "$REPS"); do
  for opts in "$@"; do
    PROXY_JAR=$DEFAULT_PROXY_JAR
    if [[ $opts == jar=* ]]; then
      PROXY_JAR=${opts%% *}; PROXY_JAR=${PROXY_JAR#jar=}
      [[ $opts == *" "* ]] && opts=${opts#* } || opts=""
      [[ -f $PROXY_JAR ]] || { echo "no such jar: $PROXY_JAR" >&2; exit 2; }
    fi
    start_wsproxy "$opts"
    target=(--url "ws://127.0.0.1:$PROXY_PORT/")
    [[ $WORKLOAD == forward ]] && target=(--url "ws://127.0.0.1:$PROXY_PORT/forward" --mode mux
      --upstreams "ws://127.0.0.1:$ECHO_PORT/a,ws://127.0.0.1:$ECHO_PORT/b,ws://127.0.0.1:$ECHO_PORT/c")
    result=$(java $JAVA_OPTS_BENCH -jar "$BENCH_JAR" loadgen "$WORKLOAD" "${target[@]}" \
      --target wsproxy --cpu-pids "$PROXY_PID" --duration 10 --warmup 3 2>&1 | grep '^RESULT' || echo "RESULT error=loadgen_failed")
    echo "jar=$PROXY_JAR options=\"$opts\" ${result#RESULT }"
    kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
  done
done
