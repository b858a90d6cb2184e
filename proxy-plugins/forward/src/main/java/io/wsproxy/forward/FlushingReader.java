package io.wsproxy.forward;

import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.WebSocketChannel;

/**
 * A receive listener for a channel whose flushes a {@link TurnFlusher} owns, with one size limit for text and
 * binary messages. Undertow sends frames of its own while it reads (pongs, the close echo, a 1009 for a message
 * too big); with explicit flush on they would wait forever, so every read event schedules a flush, and an error
 * flushes before Undertow closes the channel.
 */
abstract class FlushingReader extends AbstractReceiveListener {
    private final TurnFlusher flusher;
    private final long maxMessageBytes;

    FlushingReader(TurnFlusher flusher, long maxMessageBytes) {
        this.flusher = flusher;
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    public void handleEvent(WebSocketChannel channel) {
        super.handleEvent(channel);
        flusher.schedule();
    }

    @Override
    protected void onError(WebSocketChannel channel, Throwable error) {
        channel.flush();
        super.onError(channel, error);
    }

    @Override
    protected long getMaxTextBufferSize() {
        return maxMessageBytes;
    }

    @Override
    protected long getMaxBinaryBufferSize() {
        return maxMessageBytes;
    }
}
