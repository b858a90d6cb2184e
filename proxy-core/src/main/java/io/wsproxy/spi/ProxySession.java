package io.wsproxy.spi;

/** An open WebSocket session a plugin runs; the core closes it on shutdown. */
public interface ProxySession {
    /** Close both sides with {@code code} and {@code reason} (1001 on shutdown). Safe from any thread. */
    void close(int code, String reason);
}
