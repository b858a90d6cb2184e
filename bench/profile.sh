#!/usr/bin/env bash
# Where a proxy spends its CPU under one workload: a fresh echo backend and a fresh proxy (wsproxy or nginx, as
# bench/run.sh runs them), the load generator for --warmup + --seconds, and over the last --seconds `perf stat`
# of the proxy's process(es) (CPU time, context switches, the socket and epoll calls), with --record also
# `perf record -g` and the share of each binary (JIT code named through the JVM's perf map).
# Prints the load generator's RESULT line and per-operation figures (CPU us and calls per message or handshake).
# Usage: bench/profile.sh [--workload echo|churn|large|latency|forward] [--seconds S] [--warmup S] [--record]
#        wsproxy|nginx|splice-nio|splice-epoll
# Needs perf (Debian: linux-perf) and root or kernel.perf_event_paranoid <= 1; loopback only.
set -euo pipefail
JAVA_OPTS_BENCH="-Xms1g -Xmx2g -XX:+UseParallelGC"   # as bench/run.sh runs the backend and the load generator
WORKLOAD=echo
SECONDS_MEASURED=8
WARMUP=14
RECORD=0
while [[ $# -gt 0 && $1 == --* ]]; do
  case "$1" in
    --workload) WORKLOAD=$2; shift 2 ;;
    --seconds) SECONDS_MEASURED=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --record) RECORD=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ $# -eq 1 && $1 =~ ^(wsproxy|nginx|splice-nio|splice-epoll)$ ]] || { sed -n '2,9p' "$0" >&2; exit 2; }
TARGET=$1
command -v perf >/dev/null || { echo "perf is missing (apt-get install linux-perf)" >&2; exit 2; }
# shellcheck source=bench/fresh-wsproxy.sh
source "$(dirname "$0")/fresh-wsproxy.sh"
# shellcheck source=bench/nginx-conf.sh
source "$ROOT/bench/nginx-conf.sh"
# shellcheck disable=SC2086 # several words
start_echo_backend $JAVA_OPTS_BENCH
ECHO_PID=${PIDS[0]}

if [[ $TARGET == wsproxy ]]; then
  start_wsproxy "-XX:+PreserveFramePointer"   # frame pointers: call graphs through JIT code
  PROFILED=$PROXY_PID
  URL=ws://127.0.0.1:$PROXY_PORT/
elif [[ $TARGET == splice-* ]]; then
  SPLICE_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  java -Xms512m -Xmx512m -XX:+PreserveFramePointer -jar "$ROOT/proxy-bench-splice/target/wsproxy-splice.jar" \
    --transport "${TARGET#splice-}" --target "127.0.0.1:$ECHO_PORT" --port "$SPLICE_PORT" --threads 2 \
    >"$WORK/splice.log" 2>&1 & PROFILED=$!; PIDS+=($PROFILED)
  for _ in $(seq 100); do grep -q '^LISTENING' "$WORK/splice.log" && break; sleep 0.1; done
  URL=ws://127.0.0.1:$SPLICE_PORT/
else
  command -v nginx >/dev/null || { echo "nginx is missing (bench/run.sh installs it)" >&2; exit 2; }
  NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  nginx_conf "$WORK/nginx" "$NGINX_PORT" "$ECHO_PORT" 2 "$(ulimit -n)"
  nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx.log" 2>&1 & PIDS+=($!)
  for _ in $(seq 100); do PROFILED=$(pgrep -d, -P "${PIDS[-1]}" || true); [[ $PROFILED == *,* ]] && break; sleep 0.1; done
  [[ $PROFILED == *,* ]] || { cat "$WORK/nginx.log"; echo "nginx did not start its 2 workers" >&2; exit 1; }
  URL=ws://127.0.0.1:$NGINX_PORT/
fi

TARGET_ARGS=(--url "$URL")
if [[ $WORKLOAD == forward ]]; then
  # the forward plugin's mux mode, as bench/jvm-ab.sh runs it: one connection, three upstreams on the echo backend
  [[ $TARGET == wsproxy ]] || { echo "--workload forward is wsproxy's forward plugin" >&2; exit 2; }
  TARGET_ARGS=(--url "${URL}forward" --mode mux
    --upstreams "ws://127.0.0.1:$ECHO_PORT/a,ws://127.0.0.1:$ECHO_PORT/b,ws://127.0.0.1:$ECHO_PORT/c")
fi
# shellcheck disable=SC2086 # several words
java $JAVA_OPTS_BENCH -jar "$BENCH_JAR" loadgen "$WORKLOAD" "${TARGET_ARGS[@]}" --target "$TARGET" \
  --cpu-pids "$ECHO_PID,$PROFILED" --warmup "$WARMUP" --duration $((SECONDS_MEASURED + 4)) >"$WORK/loadgen.out" 2>&1 &
LOADGEN=$!
sleep "$WARMUP"
EVENTS=task-clock,context-switches
for call in read write recvfrom sendto readv writev epoll_wait epoll_ctl accept accept4 connect close futex; do
  EVENTS+=",syscalls:sys_enter_$call"
done
perf stat -x, -e "$EVENTS" -p "$PROFILED" -o "$WORK/stat.csv" -- sleep "$SECONDS_MEASURED" &
STAT=$!
if [[ $RECORD == 1 ]]; then
  perf record -q -F 999 -g -p "$PROFILED" -o "${PERF_DATA:-$WORK/perf.data}" -- sleep "$SECONDS_MEASURED" 2>/dev/null
  [[ $TARGET != nginx ]] && jcmd "$PROFILED" Compiler.perfmap >/dev/null 2>&1 || true
fi
wait "$STAT"
wait "$LOADGEN" || true
RESULT=$(grep '^RESULT' "$WORK/loadgen.out" || { cat "$WORK/loadgen.out" >&2; echo "the load generator failed" >&2; exit 1; })
echo "$RESULT"
OPS=$(grep -o -E '(msgs|handshakes)_per_s=[0-9.]+' <<<"$RESULT" | cut -d= -f2)
awk -F, -v ops="$OPS" -v secs="$SECONDS_MEASURED" -v target="$TARGET" '
  $3 == "task-clock" { printf "%s: %.2f CPUs, %.2f us CPU per operation\n", target, $1 / 1000 / secs, $1 * 1000 / secs / ops }
  $3 != "task-clock" && $1 ~ /^[0-9]+$/ && $1 > 0 {
    name = $3; sub(/^syscalls:sys_enter_/, "", name)
    printf "  %-18s %10.0f /s  %6.3f per operation\n", name, $1 / secs, $1 / secs / ops }
' "$WORK/stat.csv"
if [[ $RECORD == 1 ]]; then
  echo "share of the proxy's CPU samples by binary:"
  perf report -i "${PERF_DATA:-$WORK/perf.data}" --no-children -g none --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -8
fi
