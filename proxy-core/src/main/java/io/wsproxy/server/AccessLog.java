package io.wsproxy.server;

import io.undertow.server.HttpServerExchange;
import io.wsproxy.config.Rule;
import io.wsproxy.spi.AccessLogEntry;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per closed WebSocket and per plain HTTP request (or refused upgrade) on the {@code wsproxy.access}
 * logger, as key=value pairs for grep and awk; the metrics count each entry, and optional listeners see it too.
 */
final class AccessLog {
    private static final Logger log = LoggerFactory.getLogger("wsproxy.access");
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    private final Consumer<AccessLogEntry> listener;
    private final Consumer<HttpAccessLogEntry> httpListener;
    private final ProxyMetrics metrics;

    AccessLog(Consumer<AccessLogEntry> listener, Consumer<HttpAccessLogEntry> httpListener, ProxyMetrics metrics) {
        this.listener = listener;
        this.httpListener = httpListener;
        this.metrics = metrics;
    }

    void write(AccessLogEntry e) {
        metrics.count(e);
        if (log.isInfoEnabled()) {
            log.info("rule={} client={} upstream={} upstream_addr={} duration_ms={} bytes_in={} bytes_out={} close={} "
                    + "closed_by={}", e.rule(), e.clientAddress(), e.upstream(), e.upstreamAddress(),
                    e.duration().toMillis(), e.bytesFromClient(), e.bytesFromUpstream(), e.closeCode(), e.closedBy());
        }
        if (listener != null) {
            listener.accept(e);
        }
    }

    /**
     * The entry for a request on {@code rule}, at its end, with what it was answered; {@code upstreamAddress} as
     * {@link AccessLogEntry#address} wrote it, "-" when no connection to the target was made.
     */
    void write(HttpServerExchange exchange, Rule rule, String upstreamAddress, long startNanos, long bytesFromClient,
               long bytesToClient, String outcome) {
        write(exchange, rule.name(), rule.target() == null ? "-" : rule.target().toString(), upstreamAddress,
                startNanos, bytesFromClient, bytesToClient, outcome);
    }

    /** The entry for a request the proxy answered at once itself ({@code rule} "-" when none matched). */
    /** A request whose client went before any answer: 499, as nginx logs it (not Undertow's default 200). */
    void writeClientGone(HttpServerExchange exchange, Rule rule, long startNanos) {
        exchange.setStatusCode(499);
        write(exchange, rule, "-", startNanos, 0, 0, HttpAccessLogEntry.CLIENT_FAILED);
    }

    void writeAnswered(HttpServerExchange exchange, String rule) {
        write(exchange, rule, "-", "-", System.nanoTime(), 0, 0, HttpAccessLogEntry.COMPLETE);
    }

    private void write(HttpServerExchange exchange, String rule, String upstream, String upstreamAddress,
                       long startNanos, long bytesFromClient, long bytesToClient, String outcome) {
        write(new HttpAccessLogEntry(rule, AccessLogEntry.address(exchange.getSourceAddress()),
                exchange.getRequestMethod().toString(), loggable(RequestRouter.rawPath(exchange)), upstream,
                upstreamAddress, exchange.getStatusCode(), Duration.ofNanos(System.nanoTime() - startNanos),
                bytesFromClient, bytesToClient, outcome));
    }

    /**
     * {@code path} with the bytes RequestRouter refuses in a request target (controls, space, past ASCII)
     * percent-encoded: the parser takes all but a space into the path, and a raw CR or LF would end the line here
     * and start one of the client's making. Undertow holds each byte of the target as one char.
     */
    private static String loggable(String path) {
        StringBuilder out = null;
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                if (out == null) {
                    out = new StringBuilder(path.length() + 16).append(path, 0, i);
                }
                out.append('%').append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? path : out.toString();
    }

    private void write(HttpAccessLogEntry e) {
        metrics.count(e);
        if (log.isInfoEnabled()) {
            log.info("rule={} client={} method={} path={} upstream={} upstream_addr={} status={} duration_ms={} "
                            + "bytes_in={} bytes_out={} outcome={}", e.rule(), e.clientAddress(), e.method(), e.path(),
                    e.upstream(), e.upstreamAddress(), e.status(), e.duration().toMillis(), e.bytesFromClient(),
                    e.bytesToClient(), e.outcome());
        }
        if (httpListener != null) {
            httpListener.accept(e);
        }
    }
}
