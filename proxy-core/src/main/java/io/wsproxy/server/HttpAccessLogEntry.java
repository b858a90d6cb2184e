package io.wsproxy.server;

import java.time.Duration;

/**
 * One plain HTTP request (or an upgrade request that was refused), logged when it ends. {@code rule} is "-" when
 * no rule matched and {@code upstream} "-" when the proxy answered itself; {@code upstreamAddress} is where the
 * connection to the target went (as {@link io.wsproxy.spi.AccessLogEntry#address}), "-" when none was made, and on
 * the entry of an upgrade that did not become a session (its connection is the plugin's); {@code status} is what
 * the client was answered (the target's, or the proxy's own); {@code path} is the client's as it sent it (still
 * percent-encoded, so a %0A cannot start a forged line, and a raw control or non-ASCII byte, refused 400, is
 * percent-encoded here), without the query (which may carry credentials); the byte counts are body bytes.
 * {@code outcome} is one of the constants below.
 */
public record HttpAccessLogEntry(
        String rule,
        String clientAddress,
        String method,
        String path,
        String upstream,
        String upstreamAddress,
        int status,
        Duration duration,
        long bytesFromClient,
        long bytesToClient,
        String outcome) {
    /** The answer went out whole (whoever wrote it). */
    public static final String COMPLETE = "complete";
    /** A body stopped moving for bodyTimeout after the response had begun: both connections were closed. */
    public static final String STALLED = "stalled";
    /** Reading from or writing to the client failed (it went away, or reset). */
    public static final String CLIENT_FAILED = "client_failed";
    /** Reading from or writing to the target failed after its response had begun: the response was cut short. */
    public static final String UPSTREAM_FAILED = "upstream_failed";
}
