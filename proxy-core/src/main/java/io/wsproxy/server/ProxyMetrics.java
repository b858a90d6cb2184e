package io.wsproxy.server;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.wsproxy.spi.AccessLogEntry;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Counters of what the access log records, in Prometheus' text format at {@code server.metricsPath}: plain HTTP
 * requests by rule, status and outcome, WebSocket sessions by rule and the side that closed them, body and
 * message bytes each way, and the sessions open now; connects to a target's address that failed; with TLS on the
 * listener, how its handshakes ended; and the log lines dropped because stderr was not read. Fed once per request,
 * per closed session, per handshake and per failed connect, never per message.
 */
final class ProxyMetrics {
    static final String TLS_COMPLETED = "completed";
    /** Begun (a ClientHello arrived) and never completed. */
    static final String TLS_FAILED = "failed";
    /** Not TLS at all: a plain HTTP request on the TLS port. */
    static final String TLS_PLAIN_HTTP = "plain_http";

    private record Request(String rule, int status, String outcome) {
    }

    private record Session(String rule, String closedBy) {
    }

    private record Bytes(String kind, String rule, String direction) {
    }

    private final Map<Request, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<Session, LongAdder> sessions = new ConcurrentHashMap<>();
    private final Map<Bytes, LongAdder> bytes = new ConcurrentHashMap<>();
    private final IntSupplier openSessions;
    /** Null when the listener is plain TCP: no handshakes to count. */
    private final Map<String, LongAdder> tlsHandshakes;
    /** Null when the log drops nothing (no such log: tests, embedding). */
    private final LongSupplier logLinesDropped;
    private final LongSupplier upstreamConnectFailures;

    ProxyMetrics(IntSupplier openSessions, boolean tlsListener, LongSupplier logLinesDropped,
                 LongSupplier upstreamConnectFailures) {
        this.openSessions = openSessions;
        this.upstreamConnectFailures = upstreamConnectFailures;
        this.logLinesDropped = logLinesDropped;
        this.tlsHandshakes = tlsListener ? Map.of(TLS_COMPLETED, new LongAdder(), TLS_FAILED, new LongAdder(),
                TLS_PLAIN_HTTP, new LongAdder()) : null;
    }

    void tlsHandshake(String outcome) {
        tlsHandshakes.get(outcome).increment();
    }

    void count(HttpAccessLogEntry e) {
        add(requests, new Request(e.rule(), e.status(), e.outcome()), 1);
        add(bytes, new Bytes("http", e.rule(), "from_client"), e.bytesFromClient());
        add(bytes, new Bytes("http", e.rule(), "to_client"), e.bytesToClient());
    }

    /** Plugins write these entries: a field they left null counts as "null" rather than breaking the page. */
    void count(AccessLogEntry e) {
        String rule = String.valueOf(e.rule());
        add(sessions, new Session(rule, String.valueOf(e.closedBy())), 1);
        add(bytes, new Bytes("websocket", rule, "from_client"), e.bytesFromClient());
        add(bytes, new Bytes("websocket", rule, "to_client"), e.bytesFromUpstream());
    }

    private static <K> void add(Map<K, LongAdder> counters, K key, long n) {
        if (n != 0) {
            counters.computeIfAbsent(key, k -> new LongAdder()).add(n);
        }
    }

    /** Answers a GET or HEAD with the counters; other methods get 405. */
    void respond(HttpServerExchange exchange) {
        if (!exchange.getRequestMethod().equals(Methods.GET) && !exchange.getRequestMethod().equals(Methods.HEAD)) {
            exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD");
            JsonError.send(exchange, 405, "metrics are read with GET");
            return;
        }
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        exchange.getResponseSender().send(render());
    }

    String render() {
        StringBuilder out = new StringBuilder(1024);
        header(out, "wsproxy_http_requests_total", "counter", "Plain HTTP requests answered, by rule (- for none), "
                + "status and outcome.");
        sorted(requests, r -> "rule=\"" + escape(r.rule()) + "\",status=\"" + r.status() + "\",outcome=\""
                + r.outcome() + "\"").forEach((labels, n) -> sample(out, "wsproxy_http_requests_total", labels, n));
        header(out, "wsproxy_websocket_sessions_total", "counter", "WebSocket sessions closed, by rule and the side "
                + "that closed them.");
        sorted(sessions, s -> "rule=\"" + escape(s.rule()) + "\",closed_by=\"" + escape(s.closedBy()) + "\"")
                .forEach((labels, n) -> sample(out, "wsproxy_websocket_sessions_total", labels, n));
        header(out, "wsproxy_websocket_sessions_open", "gauge", "WebSocket sessions open now.");
        sample(out, "wsproxy_websocket_sessions_open", null, openSessions.getAsInt());
        header(out, "wsproxy_bytes_total", "counter", "Bytes of plain HTTP bodies and of WebSocket sessions that "
                + "have ended, by kind, rule and direction.");
        sorted(bytes, b -> "kind=\"" + b.kind() + "\",rule=\"" + escape(b.rule()) + "\",direction=\""
                + b.direction() + "\"").forEach((labels, n) -> sample(out, "wsproxy_bytes_total", labels, n));
        header(out, "wsproxy_upstream_connect_failures_total", "counter", "Connects to one of a target's "
                + "addresses that failed (refused, unreachable or out of time), whether another answered after.");
        sample(out, "wsproxy_upstream_connect_failures_total", null, upstreamConnectFailures.getAsLong());
        if (logLinesDropped != null) {
            header(out, "wsproxy_log_lines_dropped_total", "counter", "Log lines dropped because stderr was not "
                    + "read fast enough (the proxy never waits for its log).");
            sample(out, "wsproxy_log_lines_dropped_total", null, logLinesDropped.getAsLong());
        }
        if (tlsHandshakes != null) {
            header(out, "wsproxy_tls_handshakes_total", "counter", "TLS handshakes on the listener, by outcome "
                    + "(failed: begun and not completed; plain_http: a plain request answered 400).");
            sorted(tlsHandshakes, outcome -> "outcome=\"" + outcome + "\"")
                    .forEach((labels, n) -> sample(out, "wsproxy_tls_handshakes_total", labels, n));
        }
        return out.toString();
    }

    private static <K> Map<String, Long> sorted(Map<K, LongAdder> counters, java.util.function.Function<K, String> labels) {
        Map<String, Long> out = new TreeMap<>();
        counters.forEach((key, n) -> out.put(labels.apply(key), n.sum()));
        return out;
    }

    private static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder out, String name, String labels, long value) {
        out.append(name);
        if (labels != null) {
            out.append('{').append(labels).append('}');
        }
        out.append(' ').append(value).append('\n');
    }

    /** A label value as the format wants it: backslash, double quote and line feed escaped. */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
