package io.wsproxy.forward;

import io.wsproxy.websocket.WebSocketConnection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything sent to the client goes through here. Above the limit of bytes the socket has not taken, the
 * upstream whose message went over stops being read until the client catches up, so a client that does not read
 * costs at most the limit plus the message each of its upstreams had under way (each bounded by the link's
 * largest message), whatever its servers send; and the proxy's own replies are bounded apart.
 */
final class ClientSink {
    private static final byte[] CLOSING_BRACE = {'}'};

    private final WebSocketConnection client;
    private final long limit;
    private final List<UpstreamLink> paused = new ArrayList<>();
    private final Runnable drained = this::drained;
    /** The proxy's own replies queued since the client last had at most half the limit waiting. */
    private long repliesSinceDrained;

    ClientSink(WebSocketConnection client, long limit) {
        this.client = client;
        this.limit = limit;
    }

    /**
     * A reply of the proxy's own (an error, a connect response, an event); false, and nothing sent, when the
     * client has let twice the limit of them pile up. Only replies count: what its servers sent and it has yet to
     * read is theirs to bound, and a client behind on that has ignored nothing of the proxy's.
     */
    boolean reply(String text) {
        if (repliesSinceDrained > 2 * limit) {
            return false;
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        repliesSinceDrained += bytes.length;
        send(bytes, bytes.length);
        client.whenPendingAtMost(limit / 2, drained);
        return true;
    }

    /** A text of the proxy's own that stands for a server's message. */
    void send(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        send(bytes, bytes.length);
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
        client.whenPendingAtMost(limit / 2, drained);
    }

    private void drained() {
        repliesSinceDrained = 0;
        for (UpstreamLink link : paused) {
            link.resumeReceives();
        }
        paused.clear();
    }
}
