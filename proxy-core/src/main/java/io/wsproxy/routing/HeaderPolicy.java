package io.wsproxy.routing;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * Which headers cross the proxy and how they change: hop-by-hop headers stop here, end-to-end headers pass,
 * then {@code changeOrigin}, {@code X-Forwarded-*}, {@code Via} and the rule's own headers are applied, in that order,
 * so a rule can override anything.
 */
public final class HeaderPolicy {
    /** RFC 9110 section 7.6.1, plus the de-facto Proxy-Connection and Keep-Alive. */
    private static final Set<HttpString> HOP_BY_HOP = Set.of(
            Headers.CONNECTION, Headers.KEEP_ALIVE, Headers.PROXY_AUTHENTICATE, Headers.PROXY_AUTHORIZATION,
            Headers.TE, Headers.TRAILER, Headers.TRANSFER_ENCODING, Headers.UPGRADE,
            HttpString.tryFromString("Proxy-Connection"));
    /** The mechanics of one WebSocket handshake: whoever dials upstream supplies its own. */
    private static final Set<HttpString> HANDSHAKE = Set.of(
            Headers.SEC_WEB_SOCKET_KEY, Headers.SEC_WEB_SOCKET_VERSION, Headers.SEC_WEB_SOCKET_EXTENSIONS,
            Headers.SEC_WEB_SOCKET_ACCEPT);

    /**
     * This process's entry in {@code Via} (RFC 9110 section 7.6.3), a pseudonym random per start: a request that
     * comes back carrying it has looped through this proxy (a rule whose target is the proxy itself). It is the
     * process's, not a server's: two servers in one JVM that forward to each other would look like a loop.
     */
    private static final String VIA_NAME = "wsproxy-" + HexFormat.of().toHexDigits(new SecureRandom().nextInt());
    private static final String VIA = "1.1 " + VIA_NAME;

    private HeaderPolicy() {
    }

    /** Whether {@code request} has already passed through this proxy process: its {@code Via} names us. */
    public static boolean passedThroughUs(HeaderMap request) {
        HeaderValues via = request.get(Headers.VIA);
        if (via != null) {
            for (String hops : via) {
                if (hops.contains(VIA_NAME)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The request headers to send upstream for {@code exchange} matched to {@code target}'s rule. */
    public static HeaderMap upstreamRequest(HttpServerExchange exchange, UpstreamTarget target, boolean changeOrigin,
                                            Map<String, String> ruleHeaders, boolean webSocket) {
        HeaderMap in = exchange.getRequestHeaders();
        HeaderMap out = new HeaderMap();
        Set<HttpString> listedInConnection = connectionTokens(in);
        for (HeaderValues values : in) {
            HttpString name = values.getHeaderName();
            if (HOP_BY_HOP.contains(name) || listedInConnection.contains(name)
                    || (webSocket && HANDSHAKE.contains(name))) {
                continue;
            }
            out.putAll(name, values);
        }
        if (changeOrigin && target != null) {
            out.put(Headers.HOST, target.hostHeader());
            if (out.contains(Headers.ORIGIN)) {
                out.put(Headers.ORIGIN, target.origin());
            }
        }
        addForwarded(exchange, out);
        out.add(Headers.VIA, VIA); // after the hops before us, as each proxy on the way appends itself
        ruleHeaders.forEach((name, value) -> out.put(HttpString.tryFromString(name), value));
        return out;
    }

    /** Removes hop-by-hop headers from a response about to be relayed to the client. */
    public static void stripHopByHop(HeaderMap headers) {
        Set<HttpString> listed = connectionTokens(headers);
        for (HttpString name : HOP_BY_HOP) {
            headers.remove(name);
        }
        for (HttpString name : listed) {
            headers.remove(name);
        }
    }

    private static void addForwarded(HttpServerExchange exchange, HeaderMap out) {
        InetSocketAddress source = exchange.getSourceAddress();
        String client = source == null ? "unknown"
                : source.getAddress() != null ? source.getAddress().getHostAddress() : source.getHostString();
        // the chain so far may come on several lines, one per proxy before us: it is their list, in order
        StringBuilder chain = new StringBuilder();
        HeaderValues prior = out.get(Headers.X_FORWARDED_FOR);
        if (prior != null) {
            for (String hops : prior) {
                if (!hops.isBlank()) {
                    chain.append(hops).append(", ");
                }
            }
        }
        out.put(Headers.X_FORWARDED_FOR, chain.append(client).toString());
        out.put(Headers.X_FORWARDED_PROTO, exchange.getRequestScheme());
        String host = exchange.getRequestHeaders().getFirst(Headers.HOST);
        if (host != null) {
            out.put(Headers.X_FORWARDED_HOST, host);
        }
    }

    private static Set<HttpString> connectionTokens(HeaderMap headers) {
        HeaderValues connection = headers.get(Headers.CONNECTION);
        if (connection == null) {
            return Set.of();
        }
        java.util.HashSet<HttpString> names = new java.util.HashSet<>();
        for (String value : connection) {
            for (String token : value.split(",")) {
                String t = token.trim();
                if (!t.isEmpty()) {
                    names.add(HttpString.tryFromString(t));
                }
            }
        }
        return names;
    }
}
