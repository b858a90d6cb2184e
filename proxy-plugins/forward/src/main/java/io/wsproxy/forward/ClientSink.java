package io.wsproxy.forward;

import io.wsproxy.websocket.WebSocketConnection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything sent to the client goes through here. Above the limit of bytes the socket has not taken, the
 * upstream whose message went over stops being read until the client catches up, so a client that does not read
 * costs at most about the limit, whatever its servers send.
 */
final class ClientSink {
    private static final byte[] CLOSING_BRACE = {'}'};

    private final WebSocketConnection client;
    private final long limit;
    private final List<UpstreamLink> paused = new ArrayList<>();
    private final Runnable resumePaused = this::resumePaused;

    ClientSink(WebSocketConnection client, long limit) {
        this.client = client;
        this.limit = limit;
    }

    /** A text of the proxy's own. */
    void send(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        client.sendText(bytes, 0, bytes.length);
    }

    void send(byte[] data, int length) {
        client.sendText(data, 0, length);
    }

    /** {@code prefix}, then a JSON message, then the brace that closes the envelope the prefix opened. */
    void sendWrapped(byte[] prefix, byte[] json, int length) {
        client.sendText(prefix, json, length, CLOSING_BRACE);
    }

    void sendBinary(byte[] data, int length) {
        client.sendBinary(data, 0, length);
    }

    /** Called after an upstream's message was handed over: stop reading that upstream while the client lags. */
    void pauseIfOverloaded(UpstreamLink source) {
        if (client.pendingBytes() <= limit) {
            return;
        }
        source.suspendReceives();
        paused.add(source);
        client.whenPendingAtMost(limit / 2, resumePaused);
    }

    private void resumePaused() {
        for (UpstreamLink link : paused) {
            link.resumeReceives();
        }
        paused.clear();
    }
}
