package io.wsproxy.server;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.ResponseCommitListener;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.undertow.util.Protocols;
import io.undertow.util.StatusCodes;
import io.wsproxy.config.Rule;
import io.wsproxy.logging.WarningThrottle;
import io.wsproxy.routing.HeaderPolicy;
import io.wsproxy.routing.RouteMatch;
import io.wsproxy.routing.RouteTable;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of every request: finds the rule, then hands WebSocket upgrades on {@code ws: true} rules
 * to the rule's plugin and everything else to the HTTP forwarder. No rule: 404. The metrics path, when set, comes
 * before the rules.
 */
final class RequestRouter implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(RequestRouter.class);

    private final UpgradeHandler upgrades;
    private final HttpForwarder http;
    private final AccessLog accessLog;
    private final ProxyMetrics metrics;
    /** Answered with the metrics before any rule is tried; null: no metrics path. */
    private final String metricsPath;
    private volatile RuleSet rules;
    private volatile boolean stopping;
    /**
     * Once the proxy stops, answers end their connections ("Connection: close"): a client that sent its next request
     * meanwhile would lose it when the connection is closed under it. Upgrades keep their 101.
     */
    private final ResponseCommitListener closeWhenStopping = exchange -> {
        if (stopping && exchange.getStatusCode() != StatusCodes.SWITCHING_PROTOCOLS) {
            exchange.setPersistent(false);
        }
    };
    /** A rule too costly to match is said at most this often: paths that trigger it may come in a flood. */
    private final WarningThrottle costlyMatchWarnings = new WarningThrottle(Duration.ofSeconds(10));
    private final WarningThrottle loopWarnings = new WarningThrottle(Duration.ofSeconds(10));

    RequestRouter(RuleSet rules, UpgradeHandler upgrades, HttpForwarder http, AccessLog accessLog,
                  ProxyMetrics metrics, String metricsPath) {
        this.rules = rules;
        this.upgrades = upgrades;
        this.http = http;
        this.accessLog = accessLog;
        this.metrics = metrics;
        this.metricsPath = metricsPath;
    }

    /** From the next request on, routes by {@code next}; requests under way keep the rules they were routed by. */
    void replace(RuleSet next) {
        rules = next;
    }

    /** The proxy is stopping: no answer from now on keeps its connection open. */
    void stopping() {
        stopping = true;
    }

    /**
     * {@code next} (the handler that counts requests for the stop, whose own 503s must close too), every answer
     * of which closes its connection once the proxy is stopping.
     */
    HttpHandler closingWhenStopping(HttpHandler next) {
        return exchange -> {
            exchange.addResponseCommitListener(closeWhenStopping);
            next.handleRequest(exchange);
        };
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        RuleSet current = rules;
        if (exchange.getRequestMethod().equals(Methods.CONNECT)) {
            // a tunnel to wherever the client names: not what a reverse proxy does, and what followed it on the
            // connection would be taken for the tunnel's bytes
            exchange.setPersistent(false);
            JsonError.send(exchange, 501, "CONNECT is not proxied");
            accessLog.writeAnswered(exchange, "-");
            return;
        }
        if (!isForwardable(exchange.getRequestURI()) || !isForwardable(exchange.getQueryString())) {
            JsonError.send(exchange, 400, "the request target holds a control, non-ASCII or '#' character");
            accessLog.writeAnswered(exchange, "-");
            return;
        }
        String path = rawPath(exchange);
        if (path.equals(metricsPath)) {
            metrics.respond(exchange);
            return;
        }
        RouteMatch match;
        try {
            match = current.routes().match(path);
        } catch (RouteTable.MatchTooCostly e) {
            warnThrottled(e);
            JsonError.send(exchange, 500, "rule '" + e.rule().name() + "' could not be matched against this path");
            accessLog.writeAnswered(exchange, e.rule().name());
            return;
        }
        if (match == null) {
            JsonError.send(exchange, 404, "no rule matches this path");
            accessLog.writeAnswered(exchange, "-");
            return;
        }
        Rule rule = match.rule();
        if (HeaderPolicy.forwardedBefore(exchange.getRequestHeaders(), rule.name())) {
            // forwarded again, it would come back again: one request would hold ever more connections until a
            // header limit ended the chain
            if (loopWarnings.allow()) {
                log.warn("{}: a request this rule forwarded came back to it (its Via names us with the rule, or names "
                        + "us 8 times): the rule leads back to itself; answered 508 (said at most every 10 s)", rule);
            }
            JsonError.send(exchange, 508, "this request has already passed through this proxy's rule '" + rule.name()
                    + "', which leads back to itself");
            accessLog.writeAnswered(exchange, rule.name());
            return;
        }
        if (rule.ws() && isWebSocketUpgrade(exchange)) {
            upgrades.handle(exchange, match, current.bindings());
        } else if (rule.target() == null) {
            exchange.getResponseHeaders().put(Headers.UPGRADE, "websocket");
            JsonError.send(exchange, 426, "rule '" + rule.name() + "' only takes WebSocket upgrades");
            accessLog.writeAnswered(exchange, rule.name());
        } else {
            http.forward(exchange, match);
        }
    }

    private void warnThrottled(RouteTable.MatchTooCostly e) {
        if (costlyMatchWarnings.allow()) {
            log.warn("{}; answered 500 (said at most every 10 s; rewrite the pattern without nested or repeated .*)",
                    e.getMessage());
        }
    }

    /** The path as the client wrote it: undecoded, without the query, and without scheme and host in absolute form. */
    static String rawPath(HttpServerExchange exchange) {
        String uri = exchange.getRequestURI();
        if (exchange.isHostIncludedInRequestURI()) {
            int authority = uri.indexOf("//");
            int slash = authority < 0 ? -1 : uri.indexOf('/', authority + 2);
            return slash < 0 ? "/" : uri.substring(slash);
        }
        return uri;
    }

    /**
     * Printable ASCII but '#': what Undertow passes beyond RFC 3986 once unescaped characters are allowed
     * includes control bytes (a CR would split the target's request line) and bytes past ASCII.
     */
    static boolean isForwardable(String requestTarget) {
        for (int i = 0; i < requestTarget.length(); i++) {
            char c = requestTarget.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == '#') {
                return false;
            }
        }
        return true;
    }

    /** A GET asking for {@code Upgrade: websocket} over HTTP/1.1; HTTP/1.0 has no upgrade (RFC 9110 7.8). */
    static boolean isWebSocketUpgrade(HttpServerExchange exchange) {
        if (!exchange.getRequestMethod().equals(Methods.GET) || !exchange.getProtocol().equals(Protocols.HTTP_1_1)) {
            return false;
        }
        HeaderValues upgrade = exchange.getRequestHeaders().get(Headers.UPGRADE);
        if (upgrade == null) {
            return false;
        }
        for (String value : upgrade) {
            for (String token : value.split(",")) {
                if (token.trim().equalsIgnoreCase("websocket")) {
                    return true;
                }
            }
        }
        return false;
    }
}
