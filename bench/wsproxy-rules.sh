# Sourced by bench/run.sh and bench/fresh-wsproxy.sh: the rules every benchmark runs wsproxy with.
# wsproxy_rules ECHO_PORT: prints them; /forward goes to the forward plugin, allowed to dial the echo backend,
# everything else is relayed to it. The listening port is 0: the command line or the log says which.
wsproxy_rules() {
  cat <<EOR
server: { host: 127.0.0.1, port: 0 }
rules:
  - name: forward
    pattern: "^/forward$"
    plugin: forward
    options:
      allow: ['ws://127\\.0\\.0\\.1:[0-9]+/.*']
      maxUpstreams: 8
  - name: bench
    pattern: "^/"
    target: "ws://127.0.0.1:$1"
EOR
}
