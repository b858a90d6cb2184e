package io.wsproxy.forward;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A server URL as a client wrote it in an envelope, with the URI we dial and the normalised form that
 * {@code self} and {@code allow} are compared against (ws/wss scheme, lower-case host, no default port, no
 * trailing slash). Replies always carry {@link #written()}, never the normalised form.
 */
public record UpstreamUrl(String written, URI dialUri, String normalized) {

    /** @throws IllegalArgumentException with a message fit for the client's error envelope */
    public static UpstreamUrl parse(String written) {
        URI uri;
        try {
            uri = new URI(written);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid url: " + e.getReason());
        }
        String scheme = webSocketScheme(uri.getScheme());
        if (uri.isOpaque() || uri.getRawAuthority() == null) {
            throw new IllegalArgumentException("url has no host");
        }
        if (uri.getHost() == null) {
            // java.net.URI takes host names of letters, digits, '-' and '.' only (RFC 952), as the rules' targets do
            throw new IllegalArgumentException("url has no valid host name (letters, digits, '-' and '.')");
        }
        if (uri.getRawUserInfo() != null) {
            // "wss://allowed.example@evil.example" reads like the allowed host to people and naive regexes
            throw new IllegalArgumentException("url must not carry user info");
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        int port = uri.getPort();
        if (port == 0 || port > 65535) {
            throw new IllegalArgumentException("url port out of range: " + port);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        checkPath(path);
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        String authority = port == -1 ? host : host + ":" + port;
        URI dial = URI.create(scheme + "://" + authority + (path.isEmpty() ? "/" : path) + query);
        try {
            // characters beyond ASCII go up as their UTF-8 escapes, and a lone surrogate has none
            dial = URI.create(dial.toASCIIString());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("url is not valid Unicode");
        }
        boolean defaultPort = port == -1 || port == ("wss".equals(scheme) ? 443 : 80);
        String normalizedPath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        String normalized = scheme + "://" + (defaultPort ? host : authority) + normalizedPath + query;
        return new UpstreamUrl(written, dial, normalized);
    }

    /**
     * {@code allow} judges a url by its text, and a server by the path it resolves: {@code /public/../admin} matches
     * {@code /public/.*} and is served as {@code /admin}. So a path may not hold a dot segment, spelt plainly or
     * escaped, or an escaped slash or backslash, which servers that decode before resolving take for a separator;
     * a {@code ;} starts parameters some servers drop before resolving ({@code ..;}).
     */
    private static void checkPath(String rawPath) {
        String path = rawPath.toLowerCase(Locale.ROOT);
        if (path.contains("%2f") || path.contains("%5c")) {
            throw new IllegalArgumentException("url path must not carry an escaped / or \\");
        }
        for (String segment : path.replace("%2e", ".").split("/", -1)) {
            int parameters = segment.indexOf(';');
            String name = parameters < 0 ? segment : segment.substring(0, parameters);
            if (name.equals(".") || name.equals("..")) {
                throw new IllegalArgumentException("url path must not carry . or .. segments");
            }
        }
    }

    /** The origin a {@code changeOrigin} rule sends: scheme as written, host and port. */
    public String origin() {
        String scheme = URI.create(written).getScheme().toLowerCase(Locale.ROOT);
        int port = dialUri.getPort();
        return scheme + "://" + dialUri.getHost() + (port == -1 ? "" : ":" + port);
    }

    private static String webSocketScheme(String scheme) {
        if (scheme == null) {
            throw new IllegalArgumentException("url has no scheme (ws, wss, http or https)");
        }
        return switch (scheme.toLowerCase(Locale.ROOT)) {
            case "ws", "http" -> "ws";
            case "wss", "https" -> "wss";
            default -> throw new IllegalArgumentException(
                    "unsupported url scheme '" + scheme + "' (ws, wss, http or https)");
        };
    }

    @Override
    public String toString() {
        return written;
    }
}
