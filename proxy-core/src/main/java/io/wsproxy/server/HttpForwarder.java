package io.wsproxy.server;

import io.undertow.client.ClientConnection;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import io.wsproxy.config.Rule;
import io.wsproxy.config.ServerConfig;
import io.wsproxy.routing.RouteMatch;
import io.wsproxy.spi.UpstreamException;
import io.wsproxy.upstream.UpstreamDialer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;

/**
 * Proxies plain HTTP requests: dials the rule's target on the exchange's I/O thread and hands the open connection
 * to a {@link ForwardedExchange}. Bodies stream both ways through pooled buffers (never buffered whole),
 * hop-by-hop headers stop here. Unreachable target: 502; no connection in time: 504.
 */
final class HttpForwarder {
    private static final Logger log = LoggerFactory.getLogger(HttpForwarder.class);

    private final UpstreamDialer dialer;
    private final ServerConfig server;
    private final AccessLog accessLog;

    HttpForwarder(UpstreamDialer dialer, ServerConfig server, AccessLog accessLog) {
        this.dialer = dialer;
        this.server = server;
        this.accessLog = accessLog;
    }

    void forward(HttpServerExchange exchange, RouteMatch match) {
        long start = System.nanoTime();
        String coding = exchange.getRequestHeaders().getFirst(Headers.TRANSFER_ENCODING);
        if (coding != null && !Headers.CHUNKED.equalToString(coding)) {
            // Undertow reads a body in any coding as chunked, and Transfer-Encoding stops here: the target would
            // take bytes still in that coding for the body. RFC 9112 6.1 and nginx: 501
            answerError(exchange, match.rule(), 501, "Transfer-Encoding " + coding + " is not supported");
            accessLog.write(exchange, match.rule(), "-", start, 0, 0, HttpAccessLogEntry.COMPLETE);
            return;
        }
        exchange.dispatch(SameThreadExecutor.INSTANCE, () -> {
            CompletableFuture<ClientConnection> dial = dialer.connect(match.rule().target(), exchange.getIoThread(),
                    server.connectTimeout()).toCompletableFuture();
            // a client that goes while the target is dialled frees the dial at once, as with upgrades
            ClientWatch watch = ClientWatch.start(exchange, () -> {
                if (dial.cancel(false)) {
                    accessLog.writeClientGone(exchange, match.rule(), start);
                    IoUtils.safeClose(exchange.getConnection());
                }
            });
            dial.whenComplete((connection, failure) -> {
                if (watch != null) {
                    watch.stop();
                }
                if (dial.isCancelled()) {
                    return;
                }
                if (failure != null) {
                    failed(exchange, match.rule(), failure, start);
                } else {
                    new ForwardedExchange(exchange, match, connection, server, accessLog, start).start();
                }
            });
        });
    }

    private void failed(HttpServerExchange exchange, Rule rule, Throwable failure, long startNanos) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        answerError(exchange, rule, cause instanceof UpstreamException u ? u.status() : 502, cause.getMessage() == null ? "bad gateway" : cause.getMessage());
        accessLog.write(exchange, rule, "-", startNanos, 0, 0, HttpAccessLogEntry.COMPLETE);
    }

    /** Answers the client with {@code status} and a JSON body, and logs why. */
    static void answerError(HttpServerExchange exchange, Rule rule, int status, String message) {
        log.info("rule {}: {} {} {}", rule.name(), status, exchange.getRequestURI(), message);
        JsonError.send(exchange, status, message);
    }
}
