package io.wsproxy.forward;

import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.xnio.Pooled;

/**
 * Everything sent to the client goes through here (thread-safe, though today every caller is on the client's
 * I/O thread). It counts what Undertow has not written yet;
 * above the limit, the upstream whose message went over stops being read until the client catches up, so a client
 * that does not read costs at most about the limit, whatever its servers send.
 */
final class ClientSink {
    private final WebSocketChannel client;
    private final TurnFlusher flusher;
    private final long limit;
    private final AtomicLong pending = new AtomicLong();
    private final Queue<WebSocketChannel> paused = new ConcurrentLinkedQueue<>();
    private final LongConsumer written = this::written;

    ClientSink(WebSocketChannel client, TurnFlusher flusher, long limit) {
        this.client = client;
        this.flusher = flusher;
        this.limit = limit;
    }

    void send(String text) {
        send(text, Utf8.length(text));
    }

    /** @param size {@code text}'s length in UTF-8, when the caller knows it already */
    void send(String text, long size) {
        pending.addAndGet(size);
        WebSockets.sendText(text, client, new CountedWrite(size, null, written));
        flusher.schedule();
    }

    /** Takes ownership of {@code data} ({@code size} bytes): it is freed once written, or when writing fails. */
    void sendBinary(Pooled<ByteBuffer[]> data, long size) {
        pending.addAndGet(size);
        WebSockets.sendBinary(data.getResource(), client, new CountedWrite(size, data, written));
        flusher.schedule();
    }

    /** Called by an upstream's reader after handing a message over: stop reading it while the client lags. */
    void pauseIfOverloaded(WebSocketChannel source) {
        if (pending.get() <= limit) {
            return;
        }
        source.suspendReceives();
        paused.add(source);
        // the last write may have completed between the check and the add: nobody else would resume it
        if (pending.get() <= limit / 2) {
            resumePaused();
        }
    }

    private void written(long size) {
        if (pending.addAndGet(-size) <= limit / 2 && !paused.isEmpty()) {
            resumePaused();
        }
    }

    private void resumePaused() {
        WebSocketChannel channel;
        while ((channel = paused.poll()) != null) {
            channel.resumeReceives();
        }
    }
}
