package io.wsproxy.app;

import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketCallback;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.wsproxy.spi.AccessLogEntry;
import io.wsproxy.spi.ProxyServices;
import io.wsproxy.spi.ProxySession;
import io.wsproxy.spi.SessionRegistration;
import io.wsproxy.spi.UpgradeRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.xnio.IoUtils;
import org.xnio.Pooled;
import org.xnio.StreamConnection;

/**
 * One echoed WebSocket. It never reads faster than it writes: receives are suspended while a message is being
 * sent back, so a client that does not read costs one message, not the heap.
 */
final class EchoSession extends AbstractReceiveListener implements ProxySession {
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final WebSocketChannel channel;
    private final ProxyServices services;
    private final String rule;
    private final String clientAddress;
    private final long maxMessageBytes;
    private final long startNanos = System.nanoTime();
    private SessionRegistration registration;
    // written and read on the channel's I/O thread only
    private long bytes;
    private int closeCode = 1006;
    private String closedBy = "client";

    private EchoSession(WebSocketChannel channel, UpgradeRequest request, long maxMessageBytes) {
        this.channel = channel;
        this.services = request.services();
        this.rule = request.rule().name();
        this.clientAddress = String.valueOf(request.clientAddress());
        this.maxMessageBytes = maxMessageBytes;
    }

    static void start(StreamConnection client, UpgradeRequest request, long maxMessageBytes) {
        WebSocketChannel channel = request.services().serverChannel(client, null);
        EchoSession session = new EchoSession(channel, request, maxMessageBytes);
        session.registration = session.services.register(session);
        channel.addCloseTask(ch -> session.closed());
        channel.getReceiveSetter().set(session);
        channel.resumeReceives();
    }

    /** Shutdown: a close frame with {@code code}, then the socket closes when the client answers or times out. */
    @Override
    public void close(int code, String reason) {
        channel.getIoThread().execute(() -> {
            if (!channel.isCloseFrameSent()) {
                closeCode = code;
                closedBy = "proxy";
                WebSockets.sendClose(code, reason, channel, null);
            }
            channel.getIoThread().executeAfter(() -> IoUtils.safeClose(channel),
                    CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    @Override
    protected long getMaxTextBufferSize() {
        return maxMessageBytes;
    }

    @Override
    protected long getMaxBinaryBufferSize() {
        return maxMessageBytes;
    }

    @Override
    protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage message) {
        String text = message.getData();
        bytes += text.getBytes(StandardCharsets.UTF_8).length;
        ch.suspendReceives();
        WebSockets.sendText(text, ch, resumeWhenSent(null));
    }

    @Override
    protected void onFullBinaryMessage(WebSocketChannel ch, BufferedBinaryMessage message) {
        Pooled<ByteBuffer[]> data = message.getData();
        for (ByteBuffer b : data.getResource()) {
            bytes += b.remaining();
        }
        ch.suspendReceives();
        WebSockets.sendBinary(data.getResource(), ch, resumeWhenSent(data));
    }

    @Override
    protected void onCloseMessage(CloseMessage message, WebSocketChannel ch) {
        // the default handling answers with the same code and reason
        if (!ch.isCloseFrameSent()) {
            closeCode = message.getCode();
            closedBy = "client";
        }
    }

    private WebSocketCallback<Void> resumeWhenSent(Pooled<ByteBuffer[]> toFree) {
        return new WebSocketCallback<>() {
            @Override
            public void complete(WebSocketChannel ch, Void context) {
                free(toFree);
                ch.resumeReceives();
            }

            @Override
            public void onError(WebSocketChannel ch, Void context, Throwable throwable) {
                free(toFree);
                IoUtils.safeClose(ch);
            }
        };
    }

    private static void free(Pooled<ByteBuffer[]> data) {
        if (data != null) {
            data.close();
        }
    }

    private void closed() {
        registration.close();
        services.accessLog(new AccessLogEntry(rule, clientAddress, "echo",
                Duration.ofNanos(System.nanoTime() - startNanos), bytes, bytes, closeCode, closedBy));
    }
}
