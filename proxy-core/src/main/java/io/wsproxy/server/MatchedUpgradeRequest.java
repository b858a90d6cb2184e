package io.wsproxy.server;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.wsproxy.config.Rule;
import io.wsproxy.routing.HeaderPolicy;
import io.wsproxy.routing.RouteMatch;
import io.wsproxy.spi.ProxyServices;
import io.wsproxy.spi.RuleInfo;
import io.wsproxy.spi.UpgradeRequest;
import java.net.InetSocketAddress;
import java.net.URI;

/** An upgrade request as a plugin sees it: the exchange, its rule, and the upstream URI worked out once. */
final class MatchedUpgradeRequest implements UpgradeRequest {
    private final HttpServerExchange exchange;
    private final RouteMatch match;
    private final Object options;
    private final ProxyServices services;
    private final URI upstreamUri;
    /** The plugin's {@link #whenClientLeaves} action; this state is the client's I/O thread's alone. */
    private Runnable onClientLeaving;
    private boolean clientLeft;
    private boolean verdictReached;

    MatchedUpgradeRequest(HttpServerExchange exchange, RouteMatch match, Object options, ProxyServices services) {
        this.exchange = exchange;
        this.match = match;
        this.options = options;
        this.services = services;
        this.upstreamUri = match.rule().target() == null ? null : match.webSocketUri(exchange.getQueryString());
    }

    @Override
    public RuleInfo rule() {
        return match.rule();
    }

    @Override
    public Object options() {
        return options;
    }

    @Override
    public URI upstreamUri() {
        return upstreamUri;
    }

    @Override
    public HeaderMap clientHeaders() {
        return exchange.getRequestHeaders();
    }

    @Override
    public HeaderMap upstreamHeaders() {
        Rule rule = match.rule();
        return HeaderPolicy.upstreamRequest(exchange, match.upstream(), rule.name(), rule.changeOrigin(),
                rule.headers(), true);
    }

    @Override
    public InetSocketAddress clientAddress() {
        return exchange.getSourceAddress();
    }

    @Override
    public String requestUri() {
        String query = exchange.getQueryString();
        return query == null || query.isEmpty() ? exchange.getRequestURI() : exchange.getRequestURI() + "?" + query;
    }

    @Override
    public ProxyServices services() {
        return services;
    }

    @Override
    public void whenClientLeaves(Runnable action) {
        if (Thread.currentThread() != exchange.getIoThread()) {
            exchange.getIoThread().execute(() -> whenClientLeaves(action));
            return;
        }
        if (verdictReached) {
            return;
        }
        if (clientLeft) {
            action.run();
        } else {
            onClientLeaving = action;
        }
    }

    /** The client went before the answer: the plugin's action runs (once). */
    void clientLeft() {
        clientLeft = true;
        Runnable action = onClientLeaving;
        onClientLeaving = null;
        if (action != null && !verdictReached) {
            action.run();
        }
    }

    /** The plugin's verdict is in: its action is dropped. False when the client went before it. */
    boolean verdictReached() {
        verdictReached = true;
        onClientLeaving = null;
        return !clientLeft;
    }

    @Override
    public String toString() {
        return "upgrade " + requestUri() + " -> rule " + match.rule().name();
    }
}
