package io.wsproxy.spi;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** How a plugin answers an upgrade request. */
public sealed interface HandshakeResult {

    /**
     * Answer 101. {@code responseHeaders} go on the 101 as they are (for example {@code Sec-WebSocket-Protocol},
     * {@code Sec-WebSocket-Extensions}, or an upstream's {@code Sec-WebSocket-Accept}); the core adds
     * {@code Upgrade}, {@code Connection} and, when missing, {@code Sec-WebSocket-Accept}. After the 101 is
     * written, {@code onUpgrade} gets the raw client connection.
     */
    record Accept(Map<String, List<String>> responseHeaders, UpgradeListener onUpgrade) implements HandshakeResult {
        public Accept {
            responseHeaders = copy(responseHeaders);
            Objects.requireNonNull(onUpgrade, "onUpgrade");
        }
    }

    /**
     * Refuse with an HTTP status (3xx to 5xx: an upstream's redirect passes too) and {@code headers} (an upstream's
     * {@code Location} or {@code WWW-Authenticate}, say); {@code body} is sent as text.
     */
    record Reject(int status, String body, Map<String, List<String>> headers) implements HandshakeResult {
        public Reject(int status, String body) {
            this(status, body, Map.of());
        }

        public Reject {
            headers = copy(headers);
            if (status < 300 || status > 599) {
                throw new IllegalArgumentException("reject status must be 3xx, 4xx or 5xx: " + status);
            }
            body = body == null ? "" : body;
        }
    }

    private static Map<String, List<String>> copy(Map<String, List<String>> headers) {
        Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        headers.forEach((name, values) -> out.put(name, List.copyOf(values)));
        return java.util.Collections.unmodifiableMap(out);
    }
}
