package io.wsproxy.server;

import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.ClientExchange;
import io.undertow.client.ClientRequest;
import io.undertow.client.ClientResponse;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import io.undertow.util.Transfer;
import io.wsproxy.config.Rule;
import io.wsproxy.routing.HeaderPolicy;
import io.wsproxy.routing.RouteMatch;
import io.wsproxy.spi.UpstreamException;
import io.wsproxy.upstream.UpstreamDialer;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelExceptionHandler;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.XnioExecutor;
import org.xnio.channels.StreamSinkChannel;

/**
 * Proxies one plain HTTP request: bodies stream both ways through pooled buffers (never buffered whole),
 * hop-by-hop headers stop here. Unreachable target: 502; no connection or no response head in time: 504.
 */
final class HttpForwarder {
    private static final Logger log = LoggerFactory.getLogger(HttpForwarder.class);

    private final UpstreamDialer dialer;
    private final Duration connectTimeout;
    private final Duration responseTimeout;

    HttpForwarder(UpstreamDialer dialer, Duration connectTimeout, Duration responseTimeout) {
        this.dialer = dialer;
        this.connectTimeout = connectTimeout;
        this.responseTimeout = responseTimeout;
    }

    void forward(HttpServerExchange exchange, RouteMatch match) {
        exchange.dispatch(SameThreadExecutor.INSTANCE, () ->
                dialer.connect(match.rule().target(), exchange.getIoThread(), connectTimeout)
                        .whenComplete((connection, failure) -> {
                            if (failure != null) {
                                fail(exchange, match.rule(), failure);
                            } else {
                                send(exchange, match, connection);
                            }
                        }));
    }

    private void send(HttpServerExchange exchange, RouteMatch match, ClientConnection connection) {
        Rule rule = match.rule();
        exchange.addExchangeCompleteListener((ex, next) -> {
            IoUtils.safeClose(connection);
            next.proceed();
        });
        ClientRequest request = new ClientRequest()
                .setMethod(exchange.getRequestMethod())
                .setPath(match.upstreamPathAndQuery(exchange.getQueryString()));
        HeaderMap headers = HeaderPolicy.upstreamRequest(exchange, match.upstream(), rule.changeOrigin(), rule.headers(), false);
        if (!headers.contains(Headers.CONTENT_LENGTH) && !exchange.isRequestComplete()) {
            headers.put(Headers.TRANSFER_ENCODING, Headers.CHUNKED.toString());
        }
        request.getRequestHeaders().putAll(headers);

        AtomicBoolean answered = new AtomicBoolean();
        XnioExecutor.Key deadline = exchange.getIoThread().executeAfter(() -> {
            if (answered.compareAndSet(false, true)) {
                IoUtils.safeClose(connection);
                fail(exchange, rule, new UpstreamException(504, "no response from " + rule.target()
                        + " within " + responseTimeout.toMillis() + " ms", null));
            }
        }, responseTimeout.toMillis(), TimeUnit.MILLISECONDS);

        connection.sendRequest(request, new ClientCallback<>() {
            @Override
            public void completed(ClientExchange upstream) {
                upstream.setResponseListener(new ClientCallback<>() {
                    @Override
                    public void completed(ClientExchange done) {
                        if (answered.compareAndSet(false, true)) {
                            deadline.remove();
                            relayResponse(exchange, rule, done);
                        }
                    }

                    @Override
                    public void failed(IOException e) {
                        upstreamFailed(e);
                    }
                });
                streamRequestBody(exchange, upstream);
            }

            @Override
            public void failed(IOException e) {
                upstreamFailed(e);
            }

            private void upstreamFailed(IOException e) {
                if (answered.compareAndSet(false, true)) {
                    deadline.remove();
                    fail(exchange, rule, new UpstreamException(502, "upstream " + rule.target() + " failed: " + e.getMessage(), e));
                }
            }
        });
    }

    private static void streamRequestBody(HttpServerExchange exchange, ClientExchange upstream) {
        ChannelListener<StreamSinkChannel> finish = HttpForwarder::shutdownAndFlush;
        if (exchange.isRequestComplete()) {
            finish.handleEvent(upstream.getRequestChannel());
            return;
        }
        ChannelExceptionHandler<java.nio.channels.Channel> abort = (channel, e) -> {
            IoUtils.safeClose(upstream.getConnection());
            IoUtils.safeClose(exchange.getConnection());
        };
        Transfer.initiateTransfer(exchange.getRequestChannel(), upstream.getRequestChannel(),
                ChannelListeners.closingChannelListener(), finish, abort, abort,
                exchange.getConnection().getByteBufferPool());
    }

    private static void relayResponse(HttpServerExchange exchange, Rule rule, ClientExchange upstream) {
        ClientResponse response = upstream.getResponse();
        if (response.getResponseCode() == 101) {
            // only a ws: true rule may switch protocols, and those never come here
            fail(exchange, rule, new UpstreamException(502, "upstream switched protocols on a plain HTTP request", null));
            return;
        }
        exchange.setStatusCode(response.getResponseCode());
        HeaderMap out = exchange.getResponseHeaders();
        out.putAll(response.getResponseHeaders());
        HeaderPolicy.stripHopByHop(out);
        ChannelExceptionHandler<java.nio.channels.Channel> abort = (channel, e) -> {
            IoUtils.safeClose(upstream.getConnection());
            IoUtils.safeClose(exchange.getConnection());
        };
        Transfer.initiateTransfer(upstream.getResponseChannel(), exchange.getResponseChannel(),
                ChannelListeners.closingChannelListener(), HttpForwarder::shutdownAndFlush, abort, abort,
                exchange.getConnection().getByteBufferPool());
    }

    private static void shutdownAndFlush(StreamSinkChannel channel) {
        try {
            channel.shutdownWrites();
            if (!channel.flush()) {
                channel.getWriteSetter().set(ChannelListeners.flushingChannelListener(null,
                        (c, e) -> IoUtils.safeClose(c)));
                channel.resumeWrites();
            }
        } catch (IOException e) {
            IoUtils.safeClose(channel);
        }
    }

    private static void fail(HttpServerExchange exchange, Rule rule, Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        int status = cause instanceof UpstreamException u ? u.status() : 502;
        log.info("rule {}: {} {} {}", rule.name(), status, exchange.getRequestURI(), cause.getMessage());
        JsonError.send(exchange, status, cause.getMessage() == null ? "bad gateway" : cause.getMessage());
    }
}
