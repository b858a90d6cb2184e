#!/usr/bin/env bash
# Benchmarks direct (load generator -> echo backend), nginx (-> nginx -> echo) and wsproxy
# (-> wsproxy -> echo) in one run, interleaved per repetition, and prints medians and ratios.
#
# usage: bench/run.sh [--reps N] [--quick] [--workload W[,W...]] [--targets T[,T...]]
#                     [--duration S] [--warmup S] [--prewarm S] [--idle-count N] [--threads N]
#   workloads: echo latency large churn idle (default set), idle-max, forward (opt-in)
#   targets:   direct nginx wsproxy (wsproxy is skipped when proxy-app/target/wsproxy.jar is missing),
#              splice-nio splice-epoll (opt-in: raw TCP relays, what each socket layer costs by itself)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_JAR=${BENCH_JAR:-$ROOT/proxy-bench/target/wsproxy-bench.jar}
PROXY_JAR=${PROXY_JAR:-$ROOT/proxy-app/target/wsproxy.jar}
SPLICE_JAR=${SPLICE_JAR:-$ROOT/proxy-bench-splice/target/wsproxy-splice.jar}
# shellcheck source=bench/wsproxy-rules.sh
source "$ROOT/bench/wsproxy-rules.sh"
# shellcheck source=bench/nginx-conf.sh
source "$ROOT/bench/nginx-conf.sh"
REPS=3
DURATION=10
WARMUP=2
PREWARM=10  # an unrecorded pass of every workload on every target first: no repetition meets a cold JIT
WORKLOADS="echo,latency,large,churn,idle"
TARGETS="direct,nginx,wsproxy"
IDLE_COUNT=""
LOADGEN_THREADS=2
NGINX_WORKERS=2
NGINX_EXTRA=${NGINX_EXTRA:-}   # extra directives for the proxied location, e.g. "proxy_buffer_size 64k;"
WSPROXY_JAVA_OPTS=${WSPROXY_JAVA_OPTS:-}   # extra JVM options for wsproxy, e.g. "-XX:+UseParallelGC"
QUICK=0
ARGS_SEEN="$*"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) REPS=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --workload|--workloads) WORKLOADS=$2; shift 2 ;;
    --targets) TARGETS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --prewarm) PREWARM=$2; shift 2 ;;
    --idle-count) IDLE_COUNT=$2; shift 2 ;;
    --threads) LOADGEN_THREADS=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [[ $QUICK == 1 ]]; then
  REPS=1; DURATION=2; WARMUP=1; PREWARM=0; IDLE_COUNT=${IDLE_COUNT:-1000}
fi

# Many sockets: raise the soft fd limit to the hard limit (root without CAP_SYS_RESOURCE cannot
# go beyond it). Proxied idle connections cost the proxy 2 fds each, so cap the idle count.
ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)
MAX_IDLE=$(( (NOFILE - 1000) / 2 ))
if [[ -z $IDLE_COUNT ]]; then
  IDLE_COUNT=$(( MAX_IDLE < 10000 ? MAX_IDLE : 10000 ))
fi
IDLE_CAP=$(( NOFILE - 500 < 50000 ? NOFILE - 500 : 50000 ))

log() { echo "# $*" >&2; }

if [[ ! -f $BENCH_JAR ]]; then
  log "building $BENCH_JAR"
  (cd "$ROOT" && mvn -q -pl proxy-bench -am package -DskipTests)
fi

WORK=$(mktemp -d /tmp/wsproxy-bench.XXXXXX)
OUT_DIR=$ROOT/bench/out
mkdir -p "$OUT_DIR"
RAW=$OUT_DIR/run-$(date +%Y%m%d-%H%M%S).txt
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    # bounded wait, then force
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for_line FILE REGEX SECONDS: prints the first matching line or fails
wait_for_line() {
  local deadline=$(( SECONDS + $3 ))
  while (( SECONDS < deadline )); do
    if grep -m1 -E "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# wait_for_port PORT SECONDS
wait_for_port() {
  local deadline=$(( SECONDS + $2 ))
  while (( SECONDS < deadline )); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# free_port: a port below the ephemeral range that nothing listens on
free_port() {
  local p
  for _ in $(seq 100); do
    p=$(( 20000 + RANDOM % 10000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# machine_busy_pct: CPU busy over 1 s, percent of one core (200 = both cores of a 2-core box)
machine_busy_pct() {
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  awk -v n="$(nproc)" -v a="${a[*]}" -v b="${b[*]}" 'BEGIN {
    split(a, x, " "); split(b, y, " "); t = 0
    for (i = 2; i <= 9; i++) t += y[i] - x[i]
    idle = (y[5] - x[5]) + (y[6] - x[6])
    printf "%d\n", (t > 0 ? 100 * n * (t - idle) / t : 0) }'
}

# wait_quiet: before each run, wait (at most QUIET_WAIT s) until foreign load is below QUIET_PCT,
# because anything else running on the box (e.g. a parallel build) skews every number.
QUIET_PCT=${QUIET_PCT:-25}
QUIET_WAIT=${QUIET_WAIT:-120}
RETRIES=${RETRIES:-2}   # re-runs of a measurement that other processes disturbed
wait_quiet() {
  local deadline=$(( SECONDS + QUIET_WAIT )) busy
  while :; do
    busy=$(machine_busy_pct)
    (( busy < QUIET_PCT )) && return 0
    if (( SECONDS >= deadline )); then log "machine still busy (${busy}% of a core) after ${QUIET_WAIT}s; running anyway"; return 0; fi
    log "machine busy (${busy}% of a core used by other processes); waiting"
    sleep 4
  done
}

JAVA_OPTS_BENCH="-Xms1g -Xmx2g -XX:+UseParallelGC"

# ---- echo backend ----
java $JAVA_OPTS_BENCH -jar "$BENCH_JAR" server --port 0 >"$WORK/echo.log" 2>&1 &
ECHO_PID=$!; PIDS+=("$ECHO_PID")
ECHO_PORT=$(wait_for_line "$WORK/echo.log" '^LISTENING ' 20 | sed -E 's/^LISTENING [0-9.]+:([0-9]+).*/\1/') \
  || { cat "$WORK/echo.log"; echo "echo backend did not start" >&2; exit 1; }
log "echo backend pid $ECHO_PID on 127.0.0.1:$ECHO_PORT"

declare -A URL PID_OF
URL[direct]="ws://127.0.0.1:$ECHO_PORT/"
PID_OF[direct]=$ECHO_PID
ACTIVE=()

for t in ${TARGETS//,/ }; do
  case "$t" in
    direct) ACTIVE+=(direct) ;;
    nginx)
      if ! command -v nginx >/dev/null; then
        log "installing nginx-light"
        apt-get install -y -qq nginx-light >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; }
      fi
      NGINX_PORT=$(free_port)
      nginx_conf "$WORK/nginx" "$NGINX_PORT" "$ECHO_PORT" "$NGINX_WORKERS" "$NOFILE" "$NGINX_EXTRA"
      nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/stdout.log" 2>&1 &
      NGINX_PID=$!; PIDS+=("$NGINX_PID")
      wait_for_port "$NGINX_PORT" 20 || { cat "$WORK/nginx/stdout.log" "$WORK/nginx/logs/error.log"; echo "nginx did not start" >&2; exit 1; }
      URL[nginx]="ws://127.0.0.1:$NGINX_PORT/"
      PID_OF[nginx]=$(pgrep -d, -P "$NGINX_PID")   # workers hold the connections
      ACTIVE+=(nginx)
      log "nginx $(nginx -v 2>&1 | sed 's/.*\///') pid $NGINX_PID (worker_processes $NGINX_WORKERS, workers ${PID_OF[nginx]}) on 127.0.0.1:$NGINX_PORT"
      ;;
    wsproxy)
      if [[ ! -f $PROXY_JAR ]]; then
        log "SKIPPING wsproxy: $PROXY_JAR not found (build it with 'mvn package' first)"
        continue
      fi
      WSPROXY_PORT=$(free_port)
      wsproxy_rules "$ECHO_PORT" >"$WORK/rules.yaml"
      # no per-connection access log, as nginx runs with access_log off
      # shellcheck disable=SC2086 # WSPROXY_JAVA_OPTS holds several words
      (cd "$ROOT" && exec java -Xms512m -Xmx512m -Dorg.slf4j.simpleLogger.log.wsproxy.access=warn $WSPROXY_JAVA_OPTS \
        -jar "$PROXY_JAR" --config "$WORK/rules.yaml" --port "$WSPROXY_PORT") \
        >"$WORK/wsproxy.log" 2>&1 &
      WSPROXY_PID=$!; PIDS+=("$WSPROXY_PID")
      wait_for_port "$WSPROXY_PORT" 60 || { tail -50 "$WORK/wsproxy.log"; echo "wsproxy did not start" >&2; exit 1; }
      URL[wsproxy]="ws://127.0.0.1:$WSPROXY_PORT/"
      PID_OF[wsproxy]=$WSPROXY_PID
      ACTIVE+=(wsproxy)
      log "wsproxy pid $WSPROXY_PID (-Xmx512m $WSPROXY_JAVA_OPTS) on 127.0.0.1:$WSPROXY_PORT"
      ;;
    splice-nio|splice-epoll)
      [[ -f $SPLICE_JAR ]] || { echo "$SPLICE_JAR not found (build it with 'mvn package' first)" >&2; exit 2; }
      port=$(free_port)
      # the heap wsproxy gets; as many threads as nginx has workers
      java -Xms512m -Xmx512m -jar "$SPLICE_JAR" --transport "${t#splice-}" --target "127.0.0.1:$ECHO_PORT" \
        --port "$port" --threads "$NGINX_WORKERS" >"$WORK/$t.log" 2>&1 &
      PID_OF[$t]=$!; PIDS+=("${PID_OF[$t]}")
      wait_for_port "$port" 30 || { cat "$WORK/$t.log"; echo "$t did not start" >&2; exit 1; }
      URL[$t]="ws://127.0.0.1:$port/"
      ACTIVE+=("$t")
      log "$t pid ${PID_OF[$t]} (-Xmx512m, $NGINX_WORKERS threads) on 127.0.0.1:$port"
      ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
done

# ---- runs: for each repetition, for each workload, each target in turn (A B C A B C ...) ----
run_one() {  # run_one WORKLOAD TARGET [MODE]
  local w=$1 t=$2 mode=${3:-} extra=() limit=$(( ${WARMUP%.*} + ${DURATION%.*} + 60 ))
  local lw=$w url=${URL[$t]}
  case "$w" in
    idle) extra=(--count "$IDLE_COUNT" --pid "${PID_OF[$t]}" --hold 3); limit=240 ;;
    idle-max) lw=idle; extra=(--max --cap "$IDLE_CAP" --pid "${PID_OF[$t]}" --hold 2); limit=300 ;;
    forward)
      # mux: one connection to the forward rule, which dials the echo backend under three paths;
      # direct: three connections to those paths through the target (a plain relay for nginx and wsproxy)
      if [[ $mode == mux ]]; then
        url=${URL[$t]}forward
        extra=(--mode mux --upstreams "ws://127.0.0.1:$ECHO_PORT/a,ws://127.0.0.1:$ECHO_PORT/b,ws://127.0.0.1:$ECHO_PORT/c")
      else
        extra=(--mode direct --upstreams "${URL[$t]}a,${URL[$t]}b,${URL[$t]}c")
      fi ;;
  esac
  local cpu_pids=$ECHO_PID
  [[ $t != direct ]] && cpu_pids="$cpu_pids,${PID_OF[$t]}"
  [[ $t == nginx ]] && cpu_pids="$cpu_pids,$NGINX_PID"
  local attempt line foreign
  for attempt in $(seq 0 "$RETRIES"); do
    wait_quiet
    line=$(timeout -k 5 "$limit" java $JAVA_OPTS_BENCH -jar "$BENCH_JAR" loadgen "$lw" --url "$url" --target "$t" \
      --cpu-pids "$cpu_pids" --duration "$DURATION" --warmup "$WARMUP" --threads "$LOADGEN_THREADS" "${extra[@]}" \
      2>>"$WORK/loadgen.err" | grep -E '^(RESULT|OPEN)') || line="RESULT workload=$w target=$t error=loadgen_failed"
    foreign=$(sed -n 's/.*cpu_foreign_pct=\([0-9]*\).*/\1/p' <<<"$line" | tail -1)
    if [[ -n $foreign ]] && (( foreign > 2 * QUIET_PCT )) && (( attempt < RETRIES )); then
      # another process took a big share of the CPU during the measurement: keep it out of the medians
      sed 's/^RESULT /DISTURBED /' <<<"$line" | tee -a "$RAW"
      log "run disturbed (cpu_foreign_pct=$foreign); retrying"
      continue
    fi
    tee -a "$RAW" <<<"$line"
    break
  done
  for pid in "${PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a server process ($pid) died; see logs" >&2; tail -20 "$WORK"/*.log >&2; exit 1; }
  done
  sleep 1
}

{
  echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# machine: nproc=$(nproc) cpu=\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\" kernel=$(uname -r) nofile=$NOFILE"
  echo "# commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "# command: bench/run.sh $ARGS_SEEN"
  echo "# reps=$REPS duration=${DURATION}s warmup=${WARMUP}s prewarm=${PREWARM}s idle_count=$IDLE_COUNT targets=${ACTIVE[*]} nginx_worker_processes=$NGINX_WORKERS wsproxy_java_opts=\"$WSPROXY_JAVA_OPTS\""
} | tee "$RAW" >&2

run_all() {  # run_all LABEL WORKLOADS: each workload on each target in turn
  local w t mode
  for w in ${2//,/ }; do
    for t in "${ACTIVE[@]}"; do
      if [[ $w == forward ]]; then
        # every target relays three connections; wsproxy also multiplexes them over one (its forward plugin)
        for mode in direct $([[ $t == wsproxy ]] && echo mux); do
          log "$1: $w ($mode) -> $t"
          run_one "$w" "$t" "$mode"
        done
        continue
      fi
      log "$1: $w -> $t"
      run_one "$w" "$t"
    done
  done
}

if (( PREWARM > 0 )); then
  # A JVM compiles its hot paths during the first seconds under a new kind of load (a fresh wsproxy's first churn
  # run is about a third slower than its second); a proxy runs for days, so measure it warm. The idle workloads
  # only hold sockets, and their RSS figures need the connections opened once, so they are left out here.
  RECORDED_RAW=$RAW; RECORDED=("$DURATION" "$WARMUP")
  RAW=$WORK/prewarm.txt; DURATION=$PREWARM; WARMUP=0
  run_all "prewarm (not recorded)" "$(tr , '\n' <<<"$WORKLOADS" | grep -v '^idle' | paste -sd, -)"
  RAW=$RECORDED_RAW; DURATION=${RECORDED[0]}; WARMUP=${RECORDED[1]}
fi
for rep in $(seq "$REPS"); do
  run_all "rep $rep/$REPS" "$WORKLOADS"
done

# ---- summary: medians per target and ratio to direct ----
value() {  # value WORKLOAD TARGET KEY [EXTRA_FILTER] -> median or "-"
  local lw=$1
  [[ $lw == idle-max ]] && lw=idle_max
  grep -E "^RESULT workload=$lw target=$2 " "$RAW" | grep -E -- "${4:-.}" | tr ' ' '\n' | sed -n "s/^$3=//p" \
    | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }' \
    || true   # no such results (a target not run) is "-", not the end of the script
}
ratio() {  # ratio A B -> A/B, or "-" unless both are numbers
  if [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]]; then
    awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2fx\n", a / b }'
  else
    echo "-"
  fi
}

metrics_of() {
  case "$1" in
    echo) echo "msgs_per_s" ;;
    latency) echo "p50_us p99_us p999_us" ;;
    large) echo "mb_per_s" ;;
    churn) echo "handshakes_per_s" ;;
    idle) echo "rss_per_conn_kib opened" ;;
    idle-max) echo "reached" ;;
    forward) echo "msgs_per_s p50_us p99_us p999_us" ;;
  esac
}

SHOW=(direct nginx wsproxy)
{
  echo
  echo "| workload | metric | direct | nginx | wsproxy | nginx/direct | wsproxy/direct | wsproxy/nginx |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|"
  for w in ${WORKLOADS//,/ }; do
    for m in $(metrics_of "$w"); do
      if [[ $w == forward ]]; then
        d=$(value forward direct "$m"); n=$(value forward nginx "$m"); r=$(value forward wsproxy "$m" "mode=direct")
        x=$(value forward wsproxy "$m" "mode=mux")
        for t in direct nginx wsproxy; do  # as below: a target left out of this run is "pending"
          if [[ " ${ACTIVE[*]} " != *" $t "* ]]; then
            case $t in direct) d=pending ;; nginx) n=pending ;; wsproxy) r=pending; x=pending ;; esac
          fi
        done
        echo "| forward, 3 conns relayed | $m | $d | $n | $r | $(ratio "$n" "$d") | $(ratio "$r" "$d") | $(ratio "$r" "$n") |"
        echo "| forward, 1 mux conn (forward plugin) | $m | $d | n/a | $x | n/a | $(ratio "$x" "$d") | $(ratio "$x" "$n") (vs nginx relaying 3) |"
        continue
      fi
      declare -A v=()
      for t in "${SHOW[@]}"; do
        if [[ " ${ACTIVE[*]} " == *" $t "* ]]; then v[$t]=$(value "$w" "$t" "$m"); else v[$t]="pending"; fi
      done
      if [[ $m == rss_per_conn_kib ]]; then  # direct = the echo backend's own growth: not a baseline
        echo "| $w | $m | ${v[direct]} | ${v[nginx]} | ${v[wsproxy]} | n/a | n/a | $(ratio "${v[wsproxy]}" "${v[nginx]}") |"
        continue
      fi
      echo "| $w | $m | ${v[direct]} | ${v[nginx]} | ${v[wsproxy]} | $(ratio "${v[nginx]}" "${v[direct]}") | $(ratio "${v[wsproxy]}" "${v[direct]}") | $(ratio "${v[wsproxy]}" "${v[nginx]}") |"
    done
  done
  SPLICES=()
  for t in splice-nio splice-epoll; do [[ " ${ACTIVE[*]} " == *" $t "* ]] && SPLICES+=("$t"); done
  if (( ${#SPLICES[@]} > 0 )); then
    echo
    echo "raw TCP splices (no HTTP, no rules: what the socket layer costs by itself), against nginx:"
    echo
    echo "| workload | metric | nginx | wsproxy |$(printf ' %s |' "${SPLICES[@]}")$(printf ' %s/nginx |' "${SPLICES[@]}")"
    echo "|---|---|---:|---:|$(printf -- '---:|%.0s' "${SPLICES[@]}" "${SPLICES[@]}")"
    for w in ${WORKLOADS//,/ }; do
      [[ $w == idle* ]] && continue
      for m in $(metrics_of "$w"); do
        n=$(value "$w" nginx "$m")
        x=$(value "$w" wsproxy "$m" "$([[ $w == forward ]] && echo mode=direct || echo .)")   # forward: its relay, not mux
        row="| $w | $m | $n | $x |"; ratios=""
        for t in "${SPLICES[@]}"; do
          v=$(value "$w" "$t" "$m"); row+=" $v |"; ratios+=" $(ratio "$v" "$n") |"
        done
        echo "$row$ratios"
      done
    done
  fi
  echo
  echo "medians of $REPS repetition(s); ratios are target/direct and wsproxy/nginx (for *_us latencies higher is worse)."
  noisy=$(grep '^RESULT' "$RAW" | sed -n 's/.*cpu_foreign_pct=\([0-9]*\).*/\1/p' | awk -v q="$QUIET_PCT" '$1 > q' | wc -l)
  total=$(grep -c 'cpu_foreign_pct=' "$RAW" || true)
  echo "runs disturbed by other processes (cpu_foreign_pct > $QUIET_PCT): $noisy of $total"
  echo "nginx ran with worker_processes $NGINX_WORKERS; all processes share the machine's $(nproc) cores; raw results: ${RAW#$ROOT/}"
} | tee -a "$RAW"
if [[ -s $WORK/loadgen.err ]]; then
  log "load generator stderr (last lines):"; tail -5 "$WORK/loadgen.err" >&2
fi
