package io.wsproxy.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/** Checks a rule's {@code target:}: an absolute ws, wss, http or https URI with a host and at most a base path. */
final class TargetUris {
    static final List<String> SCHEMES = List.of("ws", "wss", "http", "https");

    private TargetUris() {
    }

    /** @throws IllegalArgumentException saying what is wrong */
    static URI parse(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid URI: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme == null || !SCHEMES.contains(scheme)) {
            throw new IllegalArgumentException("unsupported scheme " + (scheme == null ? "(none)" : "'" + scheme + "'")
                    + " in '" + text + "'; supported: " + String.join(", ", SCHEMES));
        }
        if (uri.getHost() == null) {
            // java.net.URI leaves the host null for names it cannot parse, such as ones with '_'
            throw new IllegalArgumentException(uri.getRawAuthority() == null
                    ? "target has no host: '" + text + "'"
                    : "target has no valid host name in '" + uri.getRawAuthority() + "' (letters, digits, '-' and '.')");
        }
        // java.net.URI takes any number for a port; a socket takes 1 to 65535, so 0 or 65536 could only fail later,
        // on every request, as a 502
        if (uri.getPort() == 0 || uri.getPort() > ServerConfig.MAX_PORT) {
            throw new IllegalArgumentException("port " + uri.getPort() + " out of range in '" + text + "' (1 to "
                    + ServerConfig.MAX_PORT + ")");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("target must not carry user info; set an Authorization header instead");
        }
        if (uri.getRawQuery() != null) {
            throw new IllegalArgumentException("target must not carry a query: the client's query is forwarded");
        }
        if (uri.getRawFragment() != null) {
            throw new IllegalArgumentException("target must not carry a fragment");
        }
        // schemes are case-insensitive; everything after this compares them as lower case
        return scheme.equals(uri.getScheme()) ? uri : URI.create(scheme + text.strip().substring(uri.getScheme().length()));
    }
}
