package io.wsproxy.routing;

import java.net.URI;
import java.util.Locale;

/**
 * The request-independent parts of a rule's target, worked out once at load: the scheme for each use, the
 * authority, the base path, the Host header and the Origin.
 */
public final class UpstreamTarget {
    private final URI target;
    private final String webSocketPrefix;
    private final String httpPrefix;
    private final String basePath;
    private final String hostHeader;
    private final String origin;

    private UpstreamTarget(URI target) {
        this.target = target;
        String scheme = target.getScheme().toLowerCase(Locale.ROOT);
        boolean secure = scheme.equals("wss") || scheme.equals("https");
        String authority = target.getRawAuthority();
        this.hostHeader = target.getPort() == -1 ? target.getHost() : target.getHost() + ":" + target.getPort();
        this.basePath = basePath(target.getRawPath());
        this.webSocketPrefix = (secure ? "wss" : "ws") + "://" + authority + basePath;
        this.httpPrefix = (secure ? "https" : "http") + "://" + authority + basePath;
        this.origin = scheme + "://" + hostHeader;
    }

    /** @param target a validated rule target (ws, wss, http or https, with a host) */
    public static UpstreamTarget of(URI target) {
        return new UpstreamTarget(target);
    }

    /** The base path without its trailing slash: "" for none or "/", so it can prefix a path starting with /. */
    private static String basePath(String rawPath) {
        if (rawPath == null) {
            return "";
        }
        int end = rawPath.length();
        while (end > 0 && rawPath.charAt(end - 1) == '/') {
            end--;
        }
        return rawPath.substring(0, end);
    }

    public URI target() {
        return target;
    }

    /** The target's base path without a trailing slash; "" when it has none. */
    public String basePath() {
        return basePath;
    }

    /** {@code host[:port]}, the port only when the target writes one. */
    public String hostHeader() {
        return hostHeader;
    }

    /** {@code scheme://host[:port]} with the scheme as the target writes it: the Origin {@code changeOrigin} sends. */
    public String origin() {
        return origin;
    }

    /** The upstream WebSocket URI for a rewritten path (starting with /) and the client's raw query (or null). */
    public URI webSocketUri(String path, String rawQuery) {
        return URI.create(UriText.escapeIllegal(webSocketPrefix + path + query(rawQuery)));
    }

    /** The upstream HTTP URI for a rewritten path (starting with /) and the client's raw query (or null). */
    public URI httpUri(String path, String rawQuery) {
        return URI.create(UriText.escapeIllegal(httpPrefix + path + query(rawQuery)));
    }

    /** The request target for the upstream: base path, rewritten path, and the raw query when there is one. */
    public String pathAndQuery(String path, String rawQuery) {
        return basePath + path + query(rawQuery);
    }

    static String query(String rawQuery) {
        return rawQuery == null || rawQuery.isEmpty() ? "" : "?" + rawQuery;
    }

    @Override
    public String toString() {
        return target.toString();
    }
}
