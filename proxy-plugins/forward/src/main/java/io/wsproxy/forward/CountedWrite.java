package io.wsproxy.forward;

import io.undertow.websockets.core.WebSocketCallback;
import io.undertow.websockets.core.WebSocketChannel;
import java.nio.ByteBuffer;
import java.util.function.LongConsumer;
import org.xnio.IoUtils;
import org.xnio.Pooled;

/**
 * The end of one counted write, to the client or to an upstream: frees the pooled payload (if any) and takes the
 * message's size off its queue's books, whether the write went out or failed. A failed write closes the channel;
 * its close listener reports the loss.
 */
final class CountedWrite implements WebSocketCallback<Void> {
    private final long size;
    private final Pooled<ByteBuffer[]> data;
    private final LongConsumer settled;

    /** @param data the pooled payload to free once written, or null for a text the caller owns */
    CountedWrite(long size, Pooled<ByteBuffer[]> data, LongConsumer settled) {
        this.size = size;
        this.data = data;
        this.settled = settled;
    }

    @Override
    public void complete(WebSocketChannel channel, Void context) {
        done();
    }

    @Override
    public void onError(WebSocketChannel channel, Void context, Throwable throwable) {
        done();
        IoUtils.safeClose(channel);
    }

    private void done() {
        if (data != null) {
            data.free();
        }
        settled.accept(size);
    }
}
