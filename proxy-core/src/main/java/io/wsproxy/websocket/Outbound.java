package io.wsproxy.websocket;

import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import org.xnio.channels.StreamSinkChannel;

/**
 * The frames one connection has yet to write, encoded straight into pooled buffers: the messages of one turn of
 * the I/O thread leave in one gathering write, and a connection with nothing to send holds no buffer. Frames a
 * client sends are masked (RFC 6455 section 5.3) as they are copied in.
 *
 * <p>When the pool has no buffer left (direct memory used up), appending fails quietly: what is queued is released,
 * since its last frame may be cut short, nothing more is taken, and {@link #failure()} says why. The caller is in the
 * middle of a send, so it is the connection's next flush that closes it.
 */
final class Outbound {
    private static final int GATHER = 16;
    private static final int MASK_CHUNK = 1024;

    private final ByteBufferPool pool;
    private final boolean masking;
    private final ArrayDeque<PooledByteBuffer> chunks = new ArrayDeque<>();
    private final ByteBuffer[] gather = new ByteBuffer[GATHER];
    private final byte[] header = new byte[14];
    private final byte[] mask = new byte[4];
    private byte[] masked;
    private int maskIndex;
    private long pending;
    private OutOfMemoryError failure;

    Outbound(ByteBufferPool pool, boolean masking) {
        this.pool = pool;
        this.masking = masking;
    }

    /** Starts a final frame of {@code length} payload bytes; exactly that many must follow through {@link #payload}. */
    void frame(int opcode, long length) {
        int i = 0;
        header[i++] = (byte) (0x80 | opcode);
        int maskBit = masking ? 0x80 : 0;
        if (length < 126) {
            header[i++] = (byte) (maskBit | length);
        } else if (length < 65536) {
            header[i++] = (byte) (maskBit | 126);
            header[i++] = (byte) (length >>> 8);
            header[i++] = (byte) length;
        } else {
            header[i++] = (byte) (maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                header[i++] = (byte) (length >>> shift);
            }
        }
        if (masking) {
            int key = ThreadLocalRandom.current().nextInt();
            for (int k = 0; k < 4; k++) {
                mask[k] = (byte) (key >>> (24 - 8 * k));
                header[i++] = mask[k];
            }
            maskIndex = 0;
        }
        append(header, 0, i);
    }

    void payload(byte[] data, int offset, int length) {
        if (!masking) {
            append(data, offset, length);
            return;
        }
        if (masked == null) {
            masked = new byte[MASK_CHUNK];
        }
        int m = maskIndex;
        while (length > 0) {
            int n = Math.min(length, MASK_CHUNK);
            for (int i = 0; i < n; i++) {
                masked[i] = (byte) (data[offset + i] ^ mask[m & 3]);
                m++;
            }
            append(masked, 0, n);
            offset += n;
            length -= n;
        }
        maskIndex = m & 3;
    }

    private void append(byte[] data, int offset, int length) {
        if (failure != null) {
            return;
        }
        while (length > 0) {
            PooledByteBuffer last = chunks.peekLast();
            ByteBuffer tail = last == null ? null : last.getBuffer();
            if (tail == null || tail.limit() == tail.capacity()) {
                PooledByteBuffer fresh;
                try {
                    fresh = pool.allocate();
                } catch (OutOfMemoryError noDirectMemory) {
                    failure = noDirectMemory;
                    release();
                    return;
                }
                tail = fresh.getBuffer();
                tail.clear().limit(0); // kept ready to write: position to limit is what waits
                chunks.add(fresh);
            }
            int at = tail.limit();
            int n = Math.min(length, tail.capacity() - at);
            tail.limit(at + n);
            tail.put(at, data, offset, n);
            offset += n;
            length -= n;
            pending += n;
        }
    }

    /** Why frames could not be queued, or null; once set, nothing queued is written. */
    OutOfMemoryError failure() {
        return failure;
    }

    /** Bytes queued and not yet taken by the socket. */
    long pending() {
        return pending;
    }

    /** Writes what the sink takes; true when nothing is left (flushed too). */
    boolean writeTo(StreamSinkChannel sink) throws IOException {
        while (!chunks.isEmpty()) {
            int count = 0;
            for (PooledByteBuffer chunk : chunks) {
                if (count == GATHER) {
                    break;
                }
                gather[count++] = chunk.getBuffer();
            }
            long written = sink.write(gather, 0, count);
            Arrays.fill(gather, 0, count, null);
            pending -= written;
            PooledByteBuffer first;
            while ((first = chunks.peekFirst()) != null && !first.getBuffer().hasRemaining()) {
                chunks.pollFirst().close();
            }
            if (written == 0) {
                return false;
            }
        }
        return sink.flush();
    }

    void release() {
        PooledByteBuffer chunk;
        while ((chunk = chunks.pollFirst()) != null) {
            chunk.close();
        }
        pending = 0;
    }
}
