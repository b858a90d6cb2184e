package io.wsproxy.websocket;

import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import io.wsproxy.logging.WarningThrottle;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;
import org.xnio.ssl.SslConnection;

/**
 * A WebSocket over an upgraded connection, for plugins that speak a protocol in messages: whole messages in,
 * whole messages out, the closing handshake and pings taken care of. It reads the socket once per batch of frames,
 * copies each payload once (unmasking on the way), and writes what one turn of the I/O thread queued in one
 * gathering write. Idle, it holds no I/O buffer.
 *
 * <p>Everything happens on the connection's I/O thread: its listener is called there, and sends and the other
 * calls must come from there too. Nothing here waits: {@link #pendingBytes()} and {@link #whenPendingAtMost} let
 * the owner bound what a slow peer costs, and {@link #suspendReceives()} stops reading a side whose peer lags. A
 * peer that pings while much waits for it is not read until that is written, so its pongs cannot fill the heap.
 */
public final class WebSocketConnection {
    /** After a close frame goes out, how long the peer has to answer it before its socket is closed anyway. */
    public static final long CLOSE_TIMEOUT_SECONDS = 5;
    private static final Logger log = LoggerFactory.getLogger(WebSocketConnection.class);
    /** Once memory runs out, every connection reading more would say so. */
    private static final WarningThrottle OUT_OF_BUFFERS = new WarningThrottle(Duration.ofSeconds(10));
    /** Reads per readiness event before yielding the I/O thread to other connections. */
    private static final int READS_PER_EVENT = 16;
    private static final int MAX_REASON_BYTES = 123;
    private static final int INTERNAL_ERROR = 1011;
    /**
     * Each ping is owed a pong: a peer that pings without reading what it is sent would have them queue without
     * bound, so past this many bytes waiting for it, it is not read until they are written.
     */
    private static final int PONG_BACKLOG_BYTES = 64 * 1024;

    /** What a connection reports to its owner, on its I/O thread. The arrays are valid only during the call. */
    public interface Listener {
        void onText(WebSocketConnection connection, byte[] data, int length);

        void onBinary(WebSocketConnection connection, byte[] data, int length);

        /**
         * Once, when the socket has closed. {@code code} is the peer's close code (1005 when its close frame had
         * none), the code this side sent because the peer broke the protocol (1002, 1007, 1009), or 1006 when the
         * peer went away without a close frame.
         */
        void onClosed(WebSocketConnection connection, int code, String reason);
    }

    private final StreamConnection connection;
    private final StreamSourceChannel source;
    private final StreamSinkChannel sink;
    private final XnioIoThread ioThread;
    private final ByteBufferPool pool;
    private final boolean client;
    private final String subprotocol;
    /** A short read emptied the socket, so no second read is needed to see 0; not so under TLS. */
    private final boolean shortReadDrains;
    private final Outbound out;
    private final Runnable flushTask = this::flush;
    private final FrameDecoder.Frames frames = new DecodedFrames();

    private Listener listener;
    private FrameDecoder decoder;
    private PooledByteBuffer pooled;
    private ByteBuffer in;
    private boolean receiving;
    private boolean flushScheduled;
    private boolean waitingForWritable;
    private boolean closeSent;
    private boolean closeReceived;
    /** The socket closes once what is queued has been written (after a close echo, or a close for a violation). */
    private boolean closeWhenWritten;
    private boolean pongsBackedUp;
    private boolean closed;
    private int code = 1006;
    private String reason = "";
    private XnioExecutor.Key closeTimer;
    private long drainThreshold;
    private Runnable drainAction;

    private WebSocketConnection(StreamConnection connection, ByteBufferPool pool, boolean client, String subprotocol) {
        this.connection = connection;
        this.source = connection.getSourceChannel();
        this.sink = connection.getSinkChannel();
        this.ioThread = connection.getIoThread();
        this.pool = pool;
        this.client = client;
        this.subprotocol = subprotocol == null ? "" : subprotocol;
        this.shortReadDrains = !(connection instanceof SslConnection);
        this.out = new Outbound(pool, client);
    }

    /** The server's end of a connection a client upgraded. */
    public static WebSocketConnection server(StreamConnection connection, ByteBufferPool pool, String subprotocol) {
        return new WebSocketConnection(connection, pool, false, subprotocol);
    }

    /** The client's end of a connection an upstream upgraded (its frames are masked). */
    public static WebSocketConnection client(StreamConnection connection, ByteBufferPool pool, String subprotocol) {
        return new WebSocketConnection(connection, pool, true, subprotocol);
    }

    /** Starts reading, on the I/O thread; messages over {@code maxMessageBytes} close the connection with 1009. */
    public void start(Listener listener, long maxMessageBytes) {
        this.listener = listener;
        this.decoder = new FrameDecoder(!client, maxMessageBytes);
        source.getReadSetter().set(ch -> onReadable());
        sink.getWriteSetter().set(ch -> flush());
        connection.getCloseSetter().set(ch -> finish());
        receiving = true;
        // resume, not wakeup: a layer that holds bytes (a push-back of what came with the handshake, TLS) wakes the
        // listener itself when resumed; a bare socket is left to epoll, with no read to find it empty
        source.resumeReads();
    }

    public XnioIoThread ioThread() {
        return ioThread;
    }

    /** The peer's address (for an access log line); kept by the socket after it closes. */
    public SocketAddress peerAddress() {
        return connection.getPeerAddress();
    }

    /** The subprotocol agreed in the handshake, or "" for none. */
    public String subprotocol() {
        return subprotocol;
    }

    /** True until this side or the peer starts the closing handshake. */
    public boolean isOpen() {
        return !closeSent && !closeReceived && !closed;
    }

    /** Sends a text message whose bytes are valid UTF-8; dropped once the connection is closing. */
    public void sendText(byte[] data, int offset, int length) {
        if (startFrame(FrameDecoder.TEXT, length)) {
            out.payload(data, offset, length);
        }
    }

    /** One text message of three parts, each copied once: {@code head}, {@code data}'s first bytes, {@code tail}. */
    public void sendText(byte[] head, byte[] data, int length, byte[] tail) {
        if (startFrame(FrameDecoder.TEXT, (long) head.length + length + tail.length)) {
            out.payload(head, 0, head.length);
            out.payload(data, 0, length);
            out.payload(tail, 0, tail.length);
        }
    }

    public void sendBinary(byte[] data, int offset, int length) {
        if (startFrame(FrameDecoder.BINARY, length)) {
            out.payload(data, offset, length);
        }
    }

    private boolean startFrame(int opcode, long length) {
        checkThread();
        if (!isOpen()) {
            return false;
        }
        out.frame(opcode, length);
        scheduleFlush();
        return true;
    }

    /**
     * Starts the closing handshake with {@code code} and {@code reason} (cut to fit a control frame); the socket
     * closes when the peer answers, or after {@link #CLOSE_TIMEOUT_SECONDS}. Nothing more is delivered.
     */
    public void close(int code, String reason) {
        checkThread();
        if (!isOpen()) {
            return;
        }
        sendClose(code, reason);
        readToTheEnd();
        flush();
    }

    /** Closes the socket now, without a closing handshake (on the I/O thread, or before {@link #start}). */
    public void abort() {
        IoUtils.safeClose(connection);
        finish();
    }

    /**
     * No buffer for the next read, or for a frame to send: direct memory is used up. The connection ends now (1006
     * to its listener), its buffers going back, rather than leaving a readable socket that its I/O thread would be
     * woken for again and again, or a peer waiting for a message that was lost.
     */
    private void outOfBuffers(String purpose, OutOfMemoryError error) {
        if (OUT_OF_BUFFERS.allow()) {
            log.warn("{}: no {}-byte buffer {} ({}); connections are closed while this lasts: raise "
                    + "-XX:MaxDirectMemorySize (default: the heap's size)", this, pool.getBufferSize(), purpose,
                    error.getMessage());
        }
        abort();
    }

    /** Stops delivering messages (and reading) until {@link #resumeReceives()}; the message under way is the last. */
    public void suspendReceives() {
        receiving = false;
        if (isOpen()) {
            source.suspendReads();
        }
    }

    public void resumeReceives() {
        if (receiving || closed) {
            return;
        }
        receiving = true;
        readToTheEnd();
    }

    /** Bytes queued for the peer and not yet taken by the socket. */
    public long pendingBytes() {
        return out.pending();
    }

    /** Runs {@code action} once, on the I/O thread, when no more than {@code bytes} wait to be written (maybe now). */
    public void whenPendingAtMost(long bytes, Runnable action) {
        checkThread();
        if (out.pending() <= bytes) {
            drainAction = null;
            action.run();
            return;
        }
        drainThreshold = bytes;
        drainAction = action;
    }

    private void onReadable() {
        if (in != null && in.position() > 0 && reading() && !decodeBuffered()) {
            return;
        }
        for (int i = 0; i < READS_PER_EVENT; i++) {
            if (!reading()) {
                source.suspendReads();
                return;
            }
            if (in == null) {
                try {
                    pooled = pool.allocate();
                } catch (OutOfMemoryError noDirectMemory) {
                    outOfBuffers("to read into", noDirectMemory);
                    return;
                }
                in = pooled.getBuffer();
                in.clear();
            }
            int space = in.remaining();
            int n;
            try {
                n = source.read(in);
            } catch (IOException e) {
                abort();
                return;
            }
            if (n < 0) {
                abort(); // code stays 1006 unless a close frame came first
                return;
            }
            if (n == 0) {
                releaseIfEmpty();
                return;
            }
            if (!decodeBuffered()) {
                return;
            }
            if (n < space && shortReadDrains) {
                releaseIfEmpty();
                return;
            }
        }
    }

    /** Decodes what the buffer holds; false to stop reading for this event. */
    private boolean decodeBuffered() {
        in.flip();
        boolean ok;
        try {
            ok = decoder.decode(in, frames);
        } catch (RuntimeException e) {
            // the owner's listener threw: what it left half done is unknown, and decoding on would hand it the same
            // frames again (the buffer is still flipped), so the connection ends here
            log.error("{}: its listener failed; closing the connection with 1011", this, e);
            if (!closed) {
                violation(INTERNAL_ERROR, "internal error");
            }
            return false;
        }
        if (closed) {
            return false; // the listener aborted the connection, and its buffer is gone
        }
        in.compact();
        if (!ok) {
            violation(decoder.violation(), decoder.violationReason());
            return false;
        }
        if (closeReceived || !reading()) {
            source.suspendReads();
            return false;
        }
        return true;
    }

    /** Frames are wanted: by the owner, or to see the peer's close; and the peer takes its pongs. */
    private boolean reading() {
        return !closed && !pongsBackedUp && (receiving || closeSent);
    }

    /** The peer broke the protocol: it gets the code, and its socket closes once the close frame is out. */
    private void violation(int violationCode, String violationReason) {
        releaseInput();
        source.suspendReads();
        code = violationCode;
        reason = violationReason;
        if (!closeSent && !closeReceived) {
            sendClose(violationCode, violationReason);
        }
        closeWhenWritten = true;
        flush();
    }

    private void closeFrameReceived(byte[] payload, int length) {
        closeReceived = true;
        code = FrameDecoder.closeCode(payload, length);
        reason = new String(payload, Math.min(2, length), Math.max(0, length - 2), StandardCharsets.UTF_8);
        if (!closeSent) {
            // echo the peer's close as it came
            out.frame(FrameDecoder.CLOSE, length);
            out.payload(payload, 0, length);
            closeSent = true;
            armCloseTimer();
        }
        closeWhenWritten = true;
        flush();
    }

    private void sendClose(int closeCode, String closeReason) {
        byte[] text = closeReason == null ? new byte[0] : closeReason.getBytes(StandardCharsets.UTF_8);
        int reasonLength = Utf8.cut(text, MAX_REASON_BYTES);
        byte[] payload = new byte[2 + reasonLength];
        payload[0] = (byte) (closeCode >>> 8);
        payload[1] = (byte) closeCode;
        System.arraycopy(text, 0, payload, 2, reasonLength);
        out.frame(FrameDecoder.CLOSE, payload.length);
        out.payload(payload, 0, payload.length);
        closeSent = true;
        armCloseTimer();
    }

    /** While closing, reads go on whatever the owner asked, to see the peer's close frame or its end. */
    private void readToTheEnd() {
        if (in != null && in.position() > 0) {
            source.wakeupReads(); // frames already read wait in the buffer: no readiness event would come for them
        } else {
            source.resumeReads();
        }
    }

    private void scheduleFlush() {
        if (flushScheduled) {
            return;
        }
        flushScheduled = true;
        try {
            ioThread.execute(flushTask); // from its own thread: runs after this turn's events, without a wake-up
        } catch (RejectedExecutionException stopping) {
            flush(); // the worker is shutting down: write now rather than never
        }
    }

    private void flush() {
        flushScheduled = false;
        if (closed) {
            return;
        }
        if (out.failure() != null) {
            outOfBuffers("to queue a frame in", out.failure());
            return;
        }
        boolean done;
        try {
            done = out.writeTo(sink);
        } catch (IOException e) {
            abort();
            return;
        }
        if (!done) {
            if (!waitingForWritable) {
                waitingForWritable = true;
                sink.resumeWrites();
            }
            return;
        }
        if (waitingForWritable) {
            waitingForWritable = false;
            sink.suspendWrites();
        }
        if (closeWhenWritten) {
            abort();
            return;
        }
        if (pongsBackedUp) {
            pongsBackedUp = false;
            if (reading()) {
                readToTheEnd();
            }
        }
        if (drainAction != null && out.pending() <= drainThreshold) {
            Runnable action = drainAction;
            drainAction = null;
            action.run();
        }
    }

    private void armCloseTimer() {
        if (closeTimer != null) {
            return;
        }
        try {
            closeTimer = ioThread.executeAfter(this::abort, CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (RejectedExecutionException stopping) {
            // the worker is stopping and closes every channel itself
        }
    }

    /** The socket is closed (by us, the peer, or the worker stopping): free everything and tell the owner once. */
    private void finish() {
        if (closed) {
            return;
        }
        closed = true;
        IoUtils.safeClose(connection);
        if (closeTimer != null) {
            closeTimer.remove();
        }
        releaseInput();
        out.release();
        drainAction = null;
        if (listener != null) {
            listener.onClosed(this, code, reason);
        }
    }

    private void releaseIfEmpty() {
        if (in != null && in.position() == 0) {
            releaseInput();
        }
    }

    private void releaseInput() {
        if (pooled != null) {
            pooled.close();
            pooled = null;
            in = null;
        }
    }

    private void checkThread() {
        if (Thread.currentThread() != ioThread) {
            throw new IllegalStateException("a WebSocketConnection is used on its I/O thread only");
        }
    }

    private final class DecodedFrames implements FrameDecoder.Frames {
        @Override
        public boolean message(boolean text, byte[] data, int length) {
            if (isOpen()) {
                if (text) {
                    listener.onText(WebSocketConnection.this, data, length);
                } else {
                    listener.onBinary(WebSocketConnection.this, data, length);
                }
            }
            return reading();
        }

        @Override
        public boolean control(int opcode, byte[] data, int length) {
            if (opcode == FrameDecoder.CLOSE) {
                closeFrameReceived(data, length);
                return false;
            }
            if (opcode == FrameDecoder.PING && isOpen()) {
                out.frame(FrameDecoder.PONG, length);
                out.payload(data, 0, length);
                scheduleFlush();
                if (out.pending() > PONG_BACKLOG_BYTES) {
                    pongsBackedUp = true;
                    return false;
                }
            }
            return true;
        }
    }

    @Override
    public String toString() {
        return (client ? "client" : "server") + " WebSocket " + connection.getPeerAddress();
    }
}
