package io.wsproxy.server;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.SameThreadExecutor;
import io.wsproxy.config.Rule;
import io.wsproxy.routing.RouteMatch;
import io.wsproxy.spi.UpstreamException;
import io.wsproxy.upstream.UpstreamDialer;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxies plain HTTP requests: dials the rule's target on the exchange's I/O thread and hands the open connection
 * to a {@link ForwardedExchange}. Bodies stream both ways through pooled buffers (never buffered whole),
 * hop-by-hop headers stop here. Unreachable target: 502; no connection in time: 504.
 */
final class HttpForwarder {
    private static final Logger log = LoggerFactory.getLogger(HttpForwarder.class);

    private final UpstreamDialer dialer;
    private final Duration connectTimeout;
    private final Duration responseTimeout;
    private final Duration bodyTimeout;

    HttpForwarder(UpstreamDialer dialer, Duration connectTimeout, Duration responseTimeout, Duration bodyTimeout) {
        this.dialer = dialer;
        this.connectTimeout = connectTimeout;
        this.responseTimeout = responseTimeout;
        this.bodyTimeout = bodyTimeout;
    }

    void forward(HttpServerExchange exchange, RouteMatch match) {
        exchange.dispatch(SameThreadExecutor.INSTANCE, () ->
                dialer.connect(match.rule().target(), exchange.getIoThread(), connectTimeout)
                        .whenComplete((connection, failure) -> {
                            if (failure != null) {
                                failed(exchange, match.rule(), failure);
                            } else {
                                new ForwardedExchange(exchange, match, connection, responseTimeout, bodyTimeout)
                                        .start();
                            }
                        }));
    }

    private static void failed(HttpServerExchange exchange, Rule rule, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        answerError(exchange, rule, cause instanceof UpstreamException u ? u.status() : 502,
                cause.getMessage() == null ? "bad gateway" : cause.getMessage());
    }

    /** Answers the client with {@code status} and a JSON body, and logs why. */
    static void answerError(HttpServerExchange exchange, Rule rule, int status, String message) {
        log.info("rule {}: {} {} {}", rule.name(), status, exchange.getRequestURI(), message);
        JsonError.send(exchange, status, message);
    }
}
