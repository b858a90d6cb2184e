package io.wsproxy.forward;

import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.StreamSourceFrameChannel;
import io.undertow.websockets.core.WebSocketChannel;
import java.io.IOException;

/**
 * A receive listener for a channel whose flushes a {@link TurnFlusher} owns, with one size limit for text and
 * binary messages. Undertow sends frames of its own while it reads (pongs, the close echo, a 1009 for a message
 * too big); with explicit flush on they would wait forever, so every read event schedules a flush, and an error
 * flushes before Undertow closes the channel.
 *
 * <p>Undertow hands a listener one frame per read event and queues a new event for the next frame already read;
 * the flusher's task, queued by the first frame, would then run between the two, one write per message. So the
 * frames one read brought are taken here in one event (a bounded number, so one busy connection cannot starve
 * the others on its thread), and what they produced leaves in one write.
 */
abstract class FlushingReader extends AbstractReceiveListener {
    static final int FRAMES_PER_EVENT = 64;

    private final TurnFlusher flusher;
    private final long maxMessageBytes;

    FlushingReader(TurnFlusher flusher, long maxMessageBytes) {
        this.flusher = flusher;
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    public void handleEvent(WebSocketChannel channel) {
        try {
            // an error (a message too big, a bad frame) closes the channel: nothing after it is read
            for (int frames = 0; frames < FRAMES_PER_EVENT && channel.isReceivesResumed() && channel.isOpen(); frames++) {
                StreamSourceFrameChannel frame = channel.receive();
                if (frame == null) {
                    break; // nothing complete is buffered; Undertow calls again if a frame's rest is pending
                }
                dispatch(channel, frame);
            }
        } catch (IOException e) {
            onError(channel, e);
        }
        flusher.schedule();
    }

    /** As {@link AbstractReceiveListener#handleEvent} dispatches one frame. */
    private void dispatch(WebSocketChannel channel, StreamSourceFrameChannel frame) throws IOException {
        switch (frame.getType()) {
            case TEXT -> onText(channel, frame);
            case BINARY -> onBinary(channel, frame);
            case PING -> {
                countPing(channel);
                onPing(channel, frame);
            }
            case PONG -> onPong(channel, frame);
            case CLOSE -> onClose(channel, frame);
            default -> { } // as in Undertow: a continuation goes to its message's channel, never here
        }
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
