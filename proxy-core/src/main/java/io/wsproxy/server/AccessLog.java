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
            log.info("rule={} client={} upstream={} duration_ms={} bytes_in={} bytes_out={} close={} closed_by={}",
                    e.rule(), e.clientAddress(), e.upstream(), e.duration().toMillis(), e.bytesFromClient(),
                    e.bytesFromUpstream(), e.closeCode(), e.closedBy());
        }
        if (listener != null) {
            listener.accept(e);
        }
    }

    /** The entry for a request on {@code rule}, at its end, with what it was answered. */
    void write(HttpServerExchange exchange, Rule rule, long startNanos, long bytesFromClient, long bytesToClient,
               String outcome) {
        write(exchange, rule.name(), rule.target() == null ? "-" : rule.target().toString(), startNanos,
                bytesFromClient, bytesToClient, outcome);
    }

    /** The entry for a request the proxy answered at once itself ({@code rule} "-" when none matched). */
    void writeAnswered(HttpServerExchange exchange, String rule) {
        write(exchange, rule, "-", System.nanoTime(), 0, 0, HttpAccessLogEntry.COMPLETE);
    }

    private void write(HttpServerExchange exchange, String rule, String upstream, long startNanos,
                       long bytesFromClient, long bytesToClient, String outcome) {
        write(new HttpAccessLogEntry(rule, String.valueOf(exchange.getSourceAddress()),
                exchange.getRequestMethod().toString(), RequestRouter.rawPath(exchange), upstream,
                exchange.getStatusCode(), Duration.ofNanos(System.nanoTime() - startNanos), bytesFromClient,
                bytesToClient, outcome));
    }

    private void write(HttpAccessLogEntry e) {
        metrics.count(e);
        if (log.isInfoEnabled()) {
            log.info("rule={} client={} method={} path={} upstream={} status={} duration_ms={} bytes_in={} "
                            + "bytes_out={} outcome={}", e.rule(), e.clientAddress(), e.method(), e.path(), e.upstream(),
                    e.status(), e.duration().toMillis(), e.bytesFromClient(), e.bytesToClient(), e.outcome());
        }
        if (httpListener != null) {
            httpListener.accept(e);
        }
    }
}
