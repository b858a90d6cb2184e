package io.wsproxy.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Where the proxy listens (port 0 asks for an ephemeral port, for tests), how long plain HTTP forwarding
 * waits: {@code connectTimeout} for the target's connection (then 504), {@code responseTimeout} for the head of
 * its response (then 504), and {@code maxConnections}: how many client connections may be open at once (0: no
 * limit), so that memory and file descriptors stay bounded whatever the clients do.
 */
public record ServerConfig(String host, int port, Duration connectTimeout, Duration responseTimeout,
                           int maxConnections) {
    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final int MAX_PORT = 65535;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(60);
    public static final int NO_LIMIT = 0;

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(responseTimeout, "responseTimeout");
        if (port < 0 || port > MAX_PORT) {
            throw new IllegalArgumentException("port must be from 0 to " + MAX_PORT + ", got " + port);
        }
        if (maxConnections < 0) {
            throw new IllegalArgumentException("maxConnections must be 0 (no limit) or more, got " + maxConnections);
        }
    }

    public ServerConfig(String host, int port) {
        this(host, port, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT, NO_LIMIT);
    }

    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_HOST, DEFAULT_PORT);
    }

    /** The same server on another port (the command line may override the file's). */
    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort, connectTimeout, responseTimeout, maxConnections);
    }
}
