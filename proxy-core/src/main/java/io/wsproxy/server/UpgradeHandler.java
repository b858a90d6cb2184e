package io.wsproxy.server;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.SameThreadExecutor;
import io.undertow.util.StatusCodes;
import io.wsproxy.config.Rule;
import io.wsproxy.plugin.PluginBindings;
import io.wsproxy.routing.RouteMatch;
import io.wsproxy.spi.HandshakeResult;
import io.wsproxy.spi.UpstreamException;
import io.wsproxy.spi.UpgradeListener;
import io.wsproxy.upstream.WebSocketKeys;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;

/**
 * Takes a WebSocket upgrade matched to a rule, asks the rule's plugin, and answers with the plugin's verdict:
 * a 101 (then the plugin gets the raw connection) or the plugin's status. The plugin may take its time (the
 * relay dials the target first); the exchange waits without holding a thread.
 */
final class UpgradeHandler {
    private static final Logger log = LoggerFactory.getLogger(UpgradeHandler.class);

    private final CoreServices services;
    private final AccessLog accessLog;

    UpgradeHandler(CoreServices services, AccessLog accessLog) {
        this.services = services;
        this.accessLog = accessLog;
    }

    /** {@code bindings}: the plugins bound to the rules {@code match} came from. */
    void handle(HttpServerExchange exchange, RouteMatch match, PluginBindings bindings) {
        long start = System.nanoTime();
        Rule rule = match.rule();
        HeaderValues keys = exchange.getRequestHeaders().get(Headers.SEC_WEB_SOCKET_KEY);
        String key = keys == null || keys.size() != 1 ? null : keys.getFirst();
        if (!"13".equals(exchange.getRequestHeaders().getFirst(Headers.SEC_WEB_SOCKET_VERSION))) {
            exchange.getResponseHeaders().put(Headers.SEC_WEB_SOCKET_VERSION, "13");
            refuse(exchange, rule, start, 426, "only WebSocket version 13 is supported");
            return;
        }
        if (!WebSocketKeys.isValid(key)) {
            refuse(exchange, rule, start, 400, "Sec-WebSocket-Key must be one value of 16 bytes in base64");
            return;
        }
        PluginBindings.Binding binding = bindings.of(rule);
        MatchedUpgradeRequest request = new MatchedUpgradeRequest(exchange, match, binding.options(), services);
        ClientWatch watch = ClientWatch.start(exchange, request::clientLeft);
        exchange.dispatch(SameThreadExecutor.INSTANCE, () -> {
            CompletionStage<HandshakeResult> verdict;
            try {
                verdict = binding.plugin().handshake(request);
            } catch (RuntimeException e) {
                verdict = CompletableFuture.failedFuture(e);
            }
            verdict.whenComplete((result, failure) -> onIoThread(exchange,
                    () -> answer(exchange, request, watch, rule, start, key, result, failure)));
        });
    }

    private void answer(HttpServerExchange exchange, MatchedUpgradeRequest request, ClientWatch watch, Rule rule,
                        long start, String key, HandshakeResult result, Throwable failure) {
        if (watch != null) {
            watch.stop();
        }
        if (!request.verdictReached()) {
            gone(exchange, rule, start, result);
            return;
        }
        if (failure != null) {
            Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof UpstreamException upstream) {
                log.info("rule {}: {} {}", rule.name(), upstream.status(), upstream.getMessage());
                refuse(exchange, rule, start, upstream.status(), upstream.getMessage());
            } else {
                log.warn("rule {}: plugin {} failed the handshake", rule.name(), rule.plugin(), cause);
                refuse(exchange, rule, start, 500, "plugin '" + rule.plugin() + "' failed");
            }
        } else if (result instanceof HandshakeResult.Reject reject) {
            exchange.setPersistent(false);
            exchange.setStatusCode(reject.status());
            putAll(exchange.getResponseHeaders(), reject.headers());
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
            exchange.getResponseSender().send(reject.body());
            accessLog.write(exchange, rule, "-", start, 0, 0, HttpAccessLogEntry.COMPLETE);
        } else if (result instanceof HandshakeResult.Accept accept) {
            upgrade(exchange, rule, start, key, accept);
        } else {
            refuse(exchange, rule, start, 500, "plugin '" + rule.plugin() + "' gave no answer");
        }
    }

    /**
     * The client went while the plugin decided: the plugin was told (and gave up its dial, unless it had it already),
     * so nothing is answered; an accepted upgrade's upstream is let go as for a client gone before its 101, anything
     * else is logged 499, as nginx logs a client that closed its request before the answer.
     */
    private void gone(HttpServerExchange exchange, Rule rule, long start, HandshakeResult result) {
        if (result instanceof HandshakeResult.Accept accept) {
            exchange.setStatusCode(StatusCodes.SWITCHING_PROTOCOLS);
            abandoned(exchange, rule, start, accept.onUpgrade());
        } else {
            accessLog.writeClientGone(exchange, rule, start);
        }
        IoUtils.safeClose(exchange.getConnection());
    }

    /**
     * Any answer but 101 ends the connection: a client that sent frames behind its upgrade request (RFC 6455 says
     * it must wait, some do not) would otherwise have them parsed as its next HTTP request, and Undertow, answering
     * that 400, drops the refusal it had buffered for the pipeline.
     */
    private void refuse(HttpServerExchange exchange, Rule rule, long start, int status, String error) {
        exchange.setPersistent(false);
        JsonError.send(exchange, status, error);
        accessLog.write(exchange, rule, "-", start, 0, 0, HttpAccessLogEntry.COMPLETE);
    }

    private void upgrade(HttpServerExchange exchange, Rule rule, long start, String key,
                         HandshakeResult.Accept accept) {
        UpgradeListener listener = accept.onUpgrade();
        exchange.setStatusCode(StatusCodes.SWITCHING_PROTOCOLS);
        if (!exchange.getConnection().isOpen()) {
            abandoned(exchange, rule, start, listener);
            return;
        }
        HeaderMap headers = exchange.getResponseHeaders();
        putAll(headers, accept.responseHeaders());
        if (!headers.contains(Headers.SEC_WEB_SOCKET_ACCEPT)) {
            headers.put(Headers.SEC_WEB_SOCKET_ACCEPT, WebSocketKeys.accept(key));
        }
        headers.put(Headers.UPGRADE, "websocket");
        AtomicBoolean upgraded = new AtomicBoolean();
        exchange.getConnection().addCloseListener(connection -> {
            if (upgraded.compareAndSet(false, true)) {
                abandoned(exchange, rule, start, listener);
            }
        });
        exchange.upgradeChannel((StreamConnection connection, HttpServerExchange ex) -> {
            if (upgraded.compareAndSet(false, true)) {
                listener.upgraded(connection);
            }
        });
        exchange.endExchange();
    }

    /**
     * The client went away before its 101 was out: no session will log it, so the upgrade request is logged here,
     * with the answer it never got.
     */
    private void abandoned(HttpServerExchange exchange, Rule rule, long start, UpgradeListener listener) {
        listener.abandoned();
        accessLog.write(exchange, rule, "-", start, 0, 0, HttpAccessLogEntry.CLIENT_FAILED);
    }

    private static void putAll(HeaderMap to, java.util.Map<String, java.util.List<String>> from) {
        from.forEach((name, values) -> to.putAll(HttpString.tryFromString(name), values));
    }

    private static void onIoThread(HttpServerExchange exchange, Runnable task) {
        if (Thread.currentThread() == exchange.getIoThread()) {
            task.run();
        } else {
            exchange.getIoThread().execute(task);
        }
    }
}
