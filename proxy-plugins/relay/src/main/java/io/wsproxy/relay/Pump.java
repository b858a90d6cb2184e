package io.wsproxy.relay;

import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

/**
 * Moves the bytes of one direction from a source to a sink through one pooled buffer, reading the frame headers
 * as they go. When the sink cannot take more, the source is not read until it can: one buffer is all a slow
 * peer can cost. The buffer is held only while bytes wait, so an idle connection holds none.
 */
final class Pump {
    /** Reads per readiness event before yielding the I/O thread to other connections. */
    private static final int READS_PER_EVENT = 16;

    private final String side;
    private final StreamSourceChannel source;
    private final StreamSinkChannel sink;
    private final FrameScanner scanner;
    private final ByteBufferPool pool;
    private final boolean sinkIsUpstream;
    private final boolean shortReadDrains;
    private final RelaySession session;

    private PooledByteBuffer pooled;
    private ByteBuffer buf;
    /** While draining: bytes past the sendable part (an incomplete header) end here. */
    private int heldLimit;
    private boolean draining;
    private ByteBuffer closeFrame;
    private boolean sinkDone;
    private boolean sourceDone;
    private boolean discarding;
    private boolean closeNoticed;
    private long bytes;

    /**
     * @param shortReadDrains a read that did not fill the buffer emptied the source, so no second read is needed to
     *                        see 0: true for plain sockets (epoll reports what arrives later), false where a layer such
     *                        as TLS may hold bytes the socket no longer shows
     */
    Pump(String side, StreamSourceChannel source, StreamSinkChannel sink, FrameScanner scanner, ByteBufferPool pool,
         boolean sinkIsUpstream, boolean shortReadDrains, RelaySession session) {
        this.side = side;
        this.source = source;
        this.sink = sink;
        this.scanner = scanner;
        this.pool = pool;
        this.sinkIsUpstream = sinkIsUpstream;
        this.shortReadDrains = shortReadDrains;
        this.session = session;
    }

    void start() {
        source.getReadSetter().set(channel -> onReadable());
        sink.getWriteSetter().set(channel -> onWritable());
        // resume, not wakeup: a layer that holds bytes (a push-back of what came with the handshake, TLS) wakes the
        // listener itself when resumed; a bare socket is left to epoll, with no read to find it empty
        source.resumeReads();
    }

    private void onReadable() {
        for (int i = 0; i < READS_PER_EVENT && !draining && !sourceDone; i++) {
            if (buf == null) {
                try {
                    pooled = pool.allocate();
                } catch (OutOfMemoryError noDirectMemory) {
                    session.outOfBuffers(this, noDirectMemory); // closes both sockets
                    return;
                }
                buf = pooled.getBuffer();
                buf.clear();
            } else if (discarding) {
                buf.clear(); // what is held back (a refused frame, frames after a close) never goes: room to read on
            }
            int space = buf.remaining();
            int n;
            try {
                n = source.read(buf);
            } catch (IOException e) {
                sourceEnded();
                return;
            }
            if (n < 0) {
                sourceEnded();
                return;
            }
            if (n == 0) {
                releaseIfEmpty();
                return;
            }
            bytes += n;
            if (discarding) {
                buf.clear();
            } else {
                buf.flip();
                int sendable = scanner.scan(buf, closeFrame != null);
                heldLimit = buf.limit();
                buf.limit(sendable);
                if (!writeOut()) {
                    return;
                }
                afterWrite();
            }
            if (n < space && shortReadDrains) {
                releaseIfEmpty();
                return; // the socket is empty: one read saved per event, and epoll tells when more comes
            }
        }
    }

    /** Writes the sendable part; false when the sink is full (reads are then suspended until it drains). */
    private boolean writeOut() {
        try {
            while (buf.hasRemaining()) {
                if (sink.write(buf) == 0) {
                    waitForSink();
                    return false;
                }
            }
            if (!sink.flush()) {
                waitForSink();
                return false;
            }
        } catch (IOException e) {
            sinkFailed();
            return false;
        }
        buf.limit(heldLimit);
        buf.compact();
        return true;
    }

    private void waitForSink() {
        draining = true;
        source.suspendReads();
        sink.resumeWrites();
    }

    private void onWritable() {
        if (draining) {
            if (!writeOut()) {
                return;
            }
            draining = false;
            sink.suspendWrites();
            afterWrite();
            if (sourceDone) {
                if (closeFrame == null) {
                    finishSink();
                }
            } else if (!sinkDone && (closeFrame == null || !scanner.atFrameStart())) {
                // with a close of ours pending, to read the rest of the frame under way: the close goes after it
                source.resumeReads();
            }
        } else if (closeFrame != null && !sinkDone) {
            writeCloseFrame();
        }
    }

    /** After a write completed: act on a close, a broken rule or a pending close, now the sink is at a boundary. */
    private void afterWrite() {
        if (!closeNoticed && scanner.closeSeen()) {
            closeNoticed = true;
            session.closeFrameSeen(this);
        }
        if (scanner.violation() != 0 && !discarding) {
            discarding = true;
            session.violation(this, scanner.violation(), scanner.violationReason());
        } else if (closeFrame != null && !sinkDone) {
            if (scanner.atFrameStart()) {
                writeCloseFrame();
            } else if (sourceDone) {
                session.abort(); // the frame under way can never end
            }
        }
        releaseIfEmpty();
    }

    /**
     * Ends this direction with a close frame of the proxy's own: at once when the sink is at a frame boundary,
     * else after the frame under way (when its source is dead, that frame can never end: the sink is closed).
     */
    void injectClose(int code, String reason) {
        if (sinkDone || closeFrame != null || scanner.closeSeen()) {
            return; // a close went this way already (the peer's, relayed): nothing may follow it (RFC 6455 5.5.1)
        }
        closeFrame = CloseFrame.of(code, reason, sinkIsUpstream);
        if (draining) {
            return; // afterWrite() will see it
        }
        if (scanner.atFrameStart()) {
            writeCloseFrame();
        } else if (sourceDone) {
            session.abort();
        }
    }

    private void writeCloseFrame() {
        discarding = true;
        if (!sourceDone) {
            source.resumeReads(); // read on, to see the end of the source, but forward nothing more
        }
        try {
            while (closeFrame.hasRemaining()) {
                if (sink.write(closeFrame) == 0) {
                    sink.resumeWrites();
                    return;
                }
            }
            sink.suspendWrites();
            finishSink();
        } catch (IOException e) {
            sinkFailed();
        }
    }

    private void sourceEnded() {
        sourceDone = true;
        source.suspendReads();
        releaseBuffer();
        if (!discarding && !scanner.closeSeen()) {
            session.vanished(this);
        } else if (closeFrame == null && !draining && session.closedBothWays()) {
            session.abort(); // the closing handshake is over: no half-close, both sockets close now
        } else if (closeFrame == null && !draining) {
            finishSink();
        } else if (closeFrame != null && !draining && !sinkDone && !scanner.atFrameStart()) {
            session.abort();
        }
        session.pumpChanged();
    }

    /** No more frames go this way: half-close the sink, so the peer sees the end after the close frame. */
    private void finishSink() {
        if (sinkDone) {
            return;
        }
        sinkDone = true;
        try {
            sink.shutdownWrites();
            sink.flush();
        } catch (IOException e) {
            // the peer is gone already; its side ends on its own
        }
        session.pumpChanged();
    }

    private void sinkFailed() {
        sinkDone = true;
        discarding = true;
        draining = false;
        releaseBuffer();
        session.sinkFailed(this);
        session.pumpChanged();
    }

    private void releaseIfEmpty() {
        if (buf != null && !draining && buf.position() == 0) {
            releaseBuffer();
        }
    }

    void releaseBuffer() {
        if (pooled != null) {
            pooled.close();
            pooled = null;
            buf = null;
        }
    }

    /** A close frame went through this pump whole, and nothing waits behind it. */
    boolean closeForwarded() {
        return closeNoticed && !draining;
    }

    boolean finished() {
        return sourceDone && sinkDone;
    }

    boolean sourceDone() {
        return sourceDone;
    }

    FrameScanner scanner() {
        return scanner;
    }

    long bytes() {
        return bytes;
    }

    String side() {
        return side;
    }
}
