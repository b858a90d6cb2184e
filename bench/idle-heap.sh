#!/usr/bin/env bash
# Live heap and RSS per idle proxied connection on a fresh wsproxy: full GC, open N idle connections through the
# relay, full GC again, compare. (bench/run.sh's idle RSS figure cannot show this for a JVM whose heap earlier
# workloads already made resident.) Usage: bench/idle-heap.sh [N]   (default 9000; fd limit permitting)
# With WSPROXY_JAVA_OPTS="-Xms97m -Xmx97m" and N=9500 it holds connections at the density of 50,000 in 512 MiB.
set -euo pipefail
N=${1:-9000}
# shellcheck source=bench/fresh-wsproxy.sh
source "$(dirname "$0")/fresh-wsproxy.sh"
ulimit -n "$(ulimit -Hn)"

start_echo_backend
start_wsproxy "${WSPROXY_JAVA_OPTS:-}"   # e.g. "-XX:+UseParallelGC -Xlog:gc:file=F"

# the bytes of all live objects (the histogram collects first), whatever the collector
live_kib() { jcmd "$PROXY_PID" GC.class_histogram | awk '/^Total/ { printf "%d\n", $3 / 1024 }'; }
before=$(live_kib)
java -jar "$BENCH_JAR" loadgen idle --url "ws://127.0.0.1:$PROXY_PORT/" --target wsproxy --count "$N" --hold 20 \
  --pid "$PROXY_PID" >"$WORK/idle.out" 2>&1 & PIDS+=($!)
for _ in $(seq 1200); do grep -q '^OPEN' "$WORK/idle.out" && break; sleep 0.1; done
after=$(live_kib)
for _ in $(seq 600); do grep -q '^RESULT' "$WORK/idle.out" && break; sleep 0.1; done
grep '^RESULT' "$WORK/idle.out"
# an OutOfMemoryError or any error the proxy logged while holding them (a smaller -Xmx shows the density limit)
errors=$(grep -cE 'OutOfMemoryError|ERROR|SEVERE' "$WORK/proxy.log" || true)
awk -v b="$before" -v a="$after" -v n="$N" -v e="$errors" \
  'BEGIN { printf "RESULT workload=idle-heap target=wsproxy connections=%d heap_before_kib=%d heap_after_kib=%d heap_per_conn_kib=%.1f proxy_errors=%d\n", n, b, a, (a - b) / n, e }'
