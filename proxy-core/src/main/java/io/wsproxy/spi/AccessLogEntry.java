package io.wsproxy.spi;

import java.time.Duration;

/**
 * One closed WebSocket. {@code closedBy} is "client", "upstream" or "proxy"; {@code closeCode} is the code
 * the closing side sent (1006 when it vanished without a close frame).
 */
public record AccessLogEntry(
        String rule,
        String clientAddress,
        String upstream,
        Duration duration,
        long bytesFromClient,
        long bytesFromUpstream,
        int closeCode,
        String closedBy) {
}
