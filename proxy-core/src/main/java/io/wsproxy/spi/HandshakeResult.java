package io.wsproxy.spi;

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
    record Accept(Map<String, String> responseHeaders, UpgradeListener onUpgrade) implements HandshakeResult {
        public Accept {
            responseHeaders = Map.copyOf(responseHeaders);
            Objects.requireNonNull(onUpgrade, "onUpgrade");
        }
    }

    /** Refuse with an HTTP status (3xx to 5xx: an upstream's redirect passes too); {@code body} is sent as text. */
    record Reject(int status, String body) implements HandshakeResult {
        public Reject {
            if (status < 300 || status > 599) {
                throw new IllegalArgumentException("reject status must be 3xx, 4xx or 5xx: " + status);
            }
            body = body == null ? "" : body;
        }
    }
}
