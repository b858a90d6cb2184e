package io.wsproxy.config;

import java.util.Objects;

/** Where the proxy listens. Port 0 asks for an ephemeral port (tests). */
public record ServerConfig(String host, int port) {
    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    public static final int MAX_PORT = 65535;

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > MAX_PORT) {
            throw new IllegalArgumentException("port must be from 0 to " + MAX_PORT + ", got " + port);
        }
    }

    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_HOST, DEFAULT_PORT);
    }

    /** The same server on another port (the command line may override the file's). */
    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort);
    }
}
