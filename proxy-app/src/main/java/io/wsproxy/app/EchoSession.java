package io.wsproxy.app;

import io.wsproxy.spi.AccessLogEntry;
import io.wsproxy.spi.ProxyServices;
import io.wsproxy.spi.ProxySession;
import io.wsproxy.spi.SessionRegistration;
import io.wsproxy.spi.UpgradeRequest;
import io.wsproxy.websocket.WebSocketConnection;
import java.time.Duration;
import org.xnio.StreamConnection;

/**
 * One echoed WebSocket. It never reads faster than it writes: receives are suspended while an echo waits for the
 * socket, so a client that does not read costs one message, not the heap.
 */
final class EchoSession implements ProxySession, WebSocketConnection.Listener {
    private final WebSocketConnection connection;
    private final ProxyServices services;
    private final String rule;
    private final String clientAddress;
    private final long startNanos = System.nanoTime();
    private final Runnable resume;
    private SessionRegistration registration;
    // written and read on the connection's I/O thread only
    private long bytes;
    private int closeCode;
    private String closedBy = "client";

    private EchoSession(WebSocketConnection connection, UpgradeRequest request) {
        this.connection = connection;
        this.services = request.services();
        this.rule = request.rule().name();
        this.clientAddress = AccessLogEntry.address(request.clientAddress());
        this.resume = connection::resumeReceives;
    }

    static void start(StreamConnection client, UpgradeRequest request, long maxMessageBytes) {
        WebSocketConnection connection = WebSocketConnection.server(client, request.services().bufferPool(), null);
        EchoSession session = new EchoSession(connection, request);
        session.registration = session.services.register(session);
        connection.start(session, maxMessageBytes);
    }

    /** Shutdown: a close frame with {@code code}, then the socket closes when the client answers or times out. */
    @Override
    public void close(int code, String reason) {
        connection.ioThread().execute(() -> {
            if (connection.isOpen()) {
                closeCode = code;
                closedBy = "proxy";
                connection.close(code, reason);
            }
        });
    }

    @Override
    public void onText(WebSocketConnection from, byte[] data, int length) {
        bytes += length;
        connection.sendText(data, 0, length);
        pauseUntilSent();
    }

    @Override
    public void onBinary(WebSocketConnection from, byte[] data, int length) {
        bytes += length;
        connection.sendBinary(data, 0, length);
        pauseUntilSent();
    }

    private void pauseUntilSent() {
        connection.suspendReceives();
        connection.whenPendingAtMost(0, resume);
    }

    @Override
    public void onClosed(WebSocketConnection from, int code, String reason) {
        registration.close();
        services.accessLog(new AccessLogEntry(rule, clientAddress, "echo",
                Duration.ofNanos(System.nanoTime() - startNanos), bytes, bytes,
                closedBy.equals("proxy") ? closeCode : code, closedBy));
    }
}
