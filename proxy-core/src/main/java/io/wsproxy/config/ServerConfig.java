package io.wsproxy.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Where the proxy listens (port 0 asks for an ephemeral port, for tests), and how long plain HTTP forwarding
 * waits: {@code connectTimeout} for the target's connection (then 504), {@code responseTimeout} for the head of
 * its response (then 504).
 */
public record ServerConfig(String host, int port, Duration connectTimeout, Duration responseTimeout) {
    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final int MAX_PORT = 65535;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(60);

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(responseTimeout, "responseTimeout");
        if (port < 0 || port > MAX_PORT) {
            throw new IllegalArgumentException("port must be from 0 to " + MAX_PORT + ", got " + port);
        }
    }

    public ServerConfig(String host, int port) {
        this(host, port, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT);
    }

    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_HOST, DEFAULT_PORT);
    }

    /** The same server on another port (the command line may override the file's). */
    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort, connectTimeout, responseTimeout);
    }
}
