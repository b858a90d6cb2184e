package io.wsproxy.server;

import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import io.wsproxy.logging.WarningThrottle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

/**
 * Streams one HTTP body from {@code source} to {@code sink} on the I/O thread both belong to. Reading stops while
 * the sink cannot take what was read, so a slow receiver holds back the sender and the transfer holds at most one
 * pooled buffer, and only while bytes wait for the sink. Every byte moved counts as progress for the exchange's
 * {@link BodyTimer}. At the source's end the sink is shut down and flushed and {@code onEnd} runs; on an I/O error
 * {@code onFailure} does (the caller closes the connections) and the transfer stops.
 */
final class BodyTransfer {
    /** What to do when reading the source or writing the sink fails. */
    interface Failure {
        void failed(IOException e, boolean reading);
    }

    /** Buffers moved in one turn before the I/O thread serves its other connections. */
    private static final int BUFFERS_PER_TURN = 16;
    private static final Logger log = LoggerFactory.getLogger(BodyTransfer.class);
    /** Once memory runs out, every body under way would say so. */
    private static final WarningThrottle OUT_OF_BUFFERS = new WarningThrottle(Duration.ofSeconds(10));

    private final StreamSourceChannel source;
    private final StreamSinkChannel sink;
    private final ByteBufferPool pool;
    private final BodyTimer timer;
    private final Runnable onEnd;
    private final Failure onFailure;
    private PooledByteBuffer pending;
    private long written;
    private boolean finished;
    private boolean ended;

    BodyTransfer(StreamSourceChannel source, StreamSinkChannel sink, ByteBufferPool pool, BodyTimer timer,
                 Runnable onEnd, Failure onFailure) {
        this.source = source;
        this.sink = sink;
        this.pool = pool;
        this.timer = timer;
        this.onEnd = onEnd;
        this.onFailure = onFailure;
    }

    /** Starts moving bytes; the callbacks may run before this returns. */
    void start() {
        timer.begin();
        // once abandoned, a channel nobody else has taken over stops calling
        source.getReadSetter().set(channel -> {
            if (finished) {
                channel.suspendReads();
            } else {
                pump();
            }
        });
        sink.getWriteSetter().set(channel -> {
            if (finished) {
                channel.suspendWrites();
            } else {
                pump();
            }
        });
        pump();
    }

    /**
     * True once the source's end has been read: the whole body has been handed to the sink, whose last bytes may
     * still be on their way (Undertow may end its exchange within that flush).
     */
    boolean ended() {
        return ended;
    }

    /** Bytes written to the sink so far. */
    long written() {
        return written;
    }

    /** True while read bytes wait for a sink that cannot take them: the receiving side is the one holding up. */
    boolean waitingForSink() {
        return pending != null;
    }

    /** Stops without touching the channels (the caller is closing them) and gives the buffer back. */
    void abandon() {
        if (!finished) {
            finished = true;
            timer.end();
            release();
        }
    }

    /** Called only while not finished: by start, and by the listeners, which check. */
    private void pump() {
        try {
            for (int turn = 0; turn < BUFFERS_PER_TURN; turn++) {
                if (pending != null && !writePending()) {
                    source.suspendReads();
                    sink.resumeWrites();
                    return;
                }
                if (!readOne()) {
                    return;
                }
            }
            sink.suspendWrites();
            source.wakeupReads();
        } catch (IOException e) {
            failed(e, false);
        }
    }

    /** Writes what waits; false when the sink took only part of it. */
    private boolean writePending() throws IOException {
        ByteBuffer buffer = pending.getBuffer();
        int before = buffer.remaining();
        while (buffer.hasRemaining() && sink.write(buffer) > 0) {
            // the sink takes as much as it can
        }
        if (buffer.remaining() != before) {
            written += before - buffer.remaining();
            timer.progress();
        }
        if (buffer.hasRemaining()) {
            return false;
        }
        release();
        return true;
    }

    /** Reads one buffer's worth into {@link #pending}; false when there is nothing to read now or no more. */
    private boolean readOne() throws IOException {
        PooledByteBuffer pooled;
        try {
            pooled = pool.allocate();
        } catch (OutOfMemoryError noDirectMemory) {
            if (OUT_OF_BUFFERS.allow()) {
                log.warn("no {}-byte buffer to pass a body through ({}); such requests are cut off while this lasts: "
                        + "raise -XX:MaxDirectMemorySize (default: the heap's size)", pool.getBufferSize(),
                        noDirectMemory.getMessage());
            }
            failed(new IOException("no buffer to pass the body through: direct memory is used up", noDirectMemory),
                    true);
            return false;
        }
        ByteBuffer buffer = pooled.getBuffer();
        int read;
        try {
            read = source.read(buffer);
        } catch (IOException e) {
            pooled.close();
            failed(e, true);
            return false;
        }
        if (read <= 0) {
            pooled.close();
            if (read == 0) {
                sink.suspendWrites();
                source.resumeReads();
            } else {
                end();
            }
            return false;
        }
        buffer.flip();
        pending = pooled;
        timer.progress();
        return true;
    }

    /** The source is done: shut the sink down, and count the flush of its tail as part of the transfer. */
    private void end() throws IOException {
        ended = true;
        source.suspendReads();
        IoUtils.safeClose(source);
        sink.shutdownWrites();
        flushTail();
    }

    private void flushTail() throws IOException {
        if (sink.flush()) {
            finished = true;
            timer.end();
            sink.suspendWrites();
            onEnd.run();
        } else {
            sink.getWriteSetter().set(channel -> {
                if (finished) {
                    channel.suspendWrites();
                    return;
                }
                try {
                    flushTail();
                } catch (IOException e) {
                    failed(e, false);
                }
            });
            sink.resumeWrites();
        }
    }

    private void failed(IOException e, boolean reading) {
        if (finished) {
            return; // abandoned: whoever abandoned it is closing the connections
        }
        abandon();
        onFailure.failed(e, reading);
    }

    private void release() {
        if (pending != null) {
            pending.close();
            pending = null;
        }
    }
}
