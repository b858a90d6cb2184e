package io.wsproxy.routing;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.wsproxy.spi.AccessLogEntry;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
     * This process's pseudonym in {@code Via} (RFC 9110 section 7.6.3), random per start. It is the process's, not
     * a server's: two servers in one JVM that forward to each other share it.
     */
    private static final String VIA_NAME = "wsproxy-" + HexFormat.of().toHexDigits(new SecureRandom().nextInt());
    /** Salts the rule tags in {@code Via}'s comment, so that they tell nothing of the rules' names. */
    private static final byte[] RULE_TAG_SALT = new SecureRandom().generateSeed(16);
    /** Passes through this process that make a loop whatever the rules (when Via has lost its comments). */
    static final int MAX_PASSES = 8;
    /** Per rule name: what {@code Via} says of a request that rule forwarded ("1.1 wsproxy-1a2b3c4d (r-5e6f7a8b)"). */
    private static final Map<String, String> VIA_BY_RULE = new ConcurrentHashMap<>();

    private HeaderPolicy() {
    }

    /**
     * Whether {@code request} has already been forwarded by the rule named {@code ruleName} of this process: its
     * {@code Via} names us with that rule's tag. Forwarded again, it would come back again: a loop. A request that
     * comes back through another rule (a relay rule whose target is the proxy's echo rule, a hub that reaches the
     * proxy's relay rules) is a chain, and passes.
     */
    public static boolean forwardedBefore(HeaderMap request, String ruleName) {
        HeaderValues via = request.get(Headers.VIA);
        if (via != null) {
            String entry = via(ruleName).substring("1.1 ".length());
            int passes = 0;
            for (String hops : via) {
                if (hops.contains(entry)) {
                    return true;
                }
                for (int at = hops.indexOf(VIA_NAME); at >= 0; at = hops.indexOf(VIA_NAME, at + 1)) {
                    passes++;
                }
            }
            // an intermediary may drop Via's comments (RFC 9110 7.6.3), and with them the rule: a request this
            // process has seen so often is in a loop all the same
            return passes >= MAX_PASSES;
        }
        return false;
    }

    /** This process's {@code Via} entry for a request the rule named {@code ruleName} forwards. */
    public static String via(String ruleName) {
        return VIA_BY_RULE.computeIfAbsent(ruleName, name -> "1.1 " + VIA_NAME + " (r-" + ruleTag(name) + ")");
    }

    private static String ruleTag(String ruleName) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(RULE_TAG_SALT);
            byte[] digest = sha256.digest(ruleName.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The request headers to send upstream for {@code exchange} matched to {@code target}'s rule. */
    public static HeaderMap upstreamRequest(HttpServerExchange exchange, UpstreamTarget target, String ruleName,
                                            boolean changeOrigin, Map<String, String> ruleHeaders, boolean webSocket) {
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
        out.add(Headers.VIA, via(ruleName)); // after the hops before us, as each proxy on the way appends itself
        ruleHeaders.forEach((name, value) -> out.put(HttpString.tryFromString(name), value));
        return out;
    }

    /** Removes hop-by-hop headers from a response about to be relayed to the client. */
    public static void stripHopByHop(HeaderMap headers) {
        for (HttpString name : hopByHopNames(headers)) {
            headers.remove(name);
        }
    }

    /** The hop-by-hop headers of a message with {@code headers}: the fixed ones and those its Connection names. */
    public static Set<HttpString> hopByHopNames(HeaderMap headers) {
        Set<HttpString> listed = connectionTokens(headers);
        if (listed.isEmpty()) {
            return HOP_BY_HOP;
        }
        Set<HttpString> all = new HashSet<>(HOP_BY_HOP);
        all.addAll(listed);
        return all;
    }

    private static void addForwarded(HttpServerExchange exchange, HeaderMap out) {
        InetSocketAddress source = exchange.getSourceAddress();
        String client = source == null ? "unknown"
                : source.getAddress() != null ? AccessLogEntry.host(source.getAddress()) : source.getHostString();
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
