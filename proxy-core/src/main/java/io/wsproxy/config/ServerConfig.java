package io.wsproxy.config;

import io.wsproxy.spi.Durations;
import java.time.Duration;
import java.util.Objects;

/**
 * Where the proxy listens (port 0 asks for an ephemeral port, for tests); how long plain HTTP forwarding
 * waits: {@code connectTimeout} for the target's connection (then 504), {@code responseTimeout} for the head of
 * its response once the request has been sent whole (then 504), {@code bodyTimeout} for the next byte of a body
 * under way in either direction (then both connections are closed, or the client gets 408 or 504 when no
 * response has begun); how long a client may take: {@code headerTimeout} to send a request's head once it has
 * begun one, {@code keepAliveTimeout} to begin a request on a connection that has none under way (a new
 * connection, or plain HTTP between requests), after which the connection is closed; {@code maxHeaderBytes}: how
 * large a request head may be (then 400); {@code maxConnections}: how many client connections may be open at
 * once (0: no limit), so that memory and file descriptors stay bounded whatever the clients do;
 * {@code tcpKeepAlive}: after how long without a packet from a client the kernel starts probing it (TCP
 * keep-alive), so that a client gone without a word is noticed (zero: never); {@code metricsPath}: where the
 * proxy answers with its metrics, before any rule (null: nowhere); {@code tls}: the certificate and key the listener
 * presents, so clients connect with https:// and wss:// (null: plain TCP); and {@code upstreamCa}: the CAs that
 * wss:// and https:// targets must chain to (null: the JVM's trust store).
 */
public record ServerConfig(String host, int port, Duration connectTimeout, Duration responseTimeout,
                           Duration bodyTimeout, Duration headerTimeout, Duration keepAliveTimeout, int maxHeaderBytes,
                           int maxConnections, Duration tcpKeepAlive, String metricsPath, TlsConfig tls,
                           UpstreamTrust upstreamCa) {
    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final int MAX_PORT = 65535;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(60);
    /** As nginx's {@code client_body_timeout}, {@code proxy_read_timeout} and {@code send_timeout}. */
    public static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(60);
    /** As nginx's {@code client_header_timeout}. */
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_KEEP_ALIVE_TIMEOUT = Duration.ofSeconds(60);
    /** As Envoy's 60 KiB, where Undertow allows 1 MiB: a head is held whole while it arrives. */
    public static final int DEFAULT_MAX_HEADER_BYTES = 64 * 1024;
    public static final int MIN_MAX_HEADER_BYTES = 1024;
    public static final int NO_LIMIT = 0;
    /**
     * Long-lived WebSockets outlast clients that vanish without a FIN (switched off, out of coverage); with
     * nothing to send, only keep-alive probes notice. 5 minutes and 4 probes 15 s apart: gone within 6 minutes,
     * for one small packet per idle connection every 5 minutes (nginx leaves it off; HAProxy's clitcpka likewise).
     */
    public static final Duration DEFAULT_TCP_KEEP_ALIVE = Duration.ofMinutes(5);
    /** Linux's largest TCP_KEEPIDLE. */
    public static final Duration MAX_TCP_KEEP_ALIVE = Duration.ofSeconds(32767);

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        checkTimeout(connectTimeout, "connectTimeout");
        checkTimeout(responseTimeout, "responseTimeout");
        checkTimeout(bodyTimeout, "bodyTimeout");
        checkTimeout(headerTimeout, "headerTimeout");
        checkTimeout(keepAliveTimeout, "keepAliveTimeout");
        if (port < 0 || port > MAX_PORT) {
            throw new IllegalArgumentException("port must be from 0 to " + MAX_PORT + ", got " + port);
        }
        if (maxHeaderBytes < MIN_MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("maxHeaderBytes must be at least " + MIN_MAX_HEADER_BYTES + ", got "
                    + maxHeaderBytes);
        }
        if (maxConnections < 0) {
            throw new IllegalArgumentException("maxConnections must be 0 (no limit) or more, got " + maxConnections);
        }
        Objects.requireNonNull(tcpKeepAlive, "tcpKeepAlive");
        if (!isTcpKeepAlive(tcpKeepAlive)) {
            throw new IllegalArgumentException("tcpKeepAlive must be 0 (off) or whole seconds from 1 to "
                    + MAX_TCP_KEEP_ALIVE.toSeconds() + ", got " + tcpKeepAlive);
        }
        if (metricsPath != null && !isPlainPath(metricsPath)) {
            throw new IllegalArgumentException("metricsPath must be a path such as /metrics, got '" + metricsPath + "'");
        }
    }

    /** 0 (off), or whole seconds from 1 s to {@link #MAX_TCP_KEEP_ALIVE}, as the kernel takes it. */
    public static boolean isTcpKeepAlive(Duration d) {
        return d.isZero() || (d.toNanos() % 1_000_000_000L == 0 && d.toSeconds() >= 1
                && d.compareTo(MAX_TCP_KEEP_ALIVE) <= 0);
    }

    /** Starts with a slash; no query, fragment, space, control or non-ASCII character. */
    public static boolean isPlainPath(String path) {
        if (!path.startsWith("/")) {
            return false;
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c <= ' ' || c == '?' || c == '#' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static void checkTimeout(Duration timeout, String name) {
        Objects.requireNonNull(timeout, name);
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Durations.MAX) > 0) {
            throw new IllegalArgumentException(name + " must be more than 0 and at most " + Durations.MAX.toMillis()
                    + " ms, got " + timeout);
        }
    }

    public ServerConfig(String host, int port) {
        this(host, port, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT, DEFAULT_BODY_TIMEOUT,
                DEFAULT_HEADER_TIMEOUT, DEFAULT_KEEP_ALIVE_TIMEOUT, DEFAULT_MAX_HEADER_BYTES, NO_LIMIT,
                DEFAULT_TCP_KEEP_ALIVE, null, null, null);
    }

    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_HOST, DEFAULT_PORT);
    }

    /** The same server on another port (the command line may override the file's). */
    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort, connectTimeout, responseTimeout, bodyTimeout, headerTimeout,
                keepAliveTimeout, maxHeaderBytes, maxConnections, tcpKeepAlive, metricsPath, tls, upstreamCa);
    }

    /** The same server with the TLS material of {@code other}: what a reload re-reads rather than compares. */
    public ServerConfig withTlsOf(ServerConfig other) {
        return new ServerConfig(host, port, connectTimeout, responseTimeout, bodyTimeout, headerTimeout,
                keepAliveTimeout, maxHeaderBytes, maxConnections, tcpKeepAlive, metricsPath, other.tls,
                other.upstreamCa);
    }
}
