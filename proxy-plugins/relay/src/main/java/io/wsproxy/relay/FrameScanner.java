package io.wsproxy.relay;

import java.nio.ByteBuffer;

/**
 * Reads WebSocket frame headers (RFC 6455 section 5.2) as the bytes of one direction go by, without copying a
 * payload: enough to know where frames start, to see a close frame and its code, and to enforce a message size.
 * One per direction; used only on its connection's I/O thread.
 */
final class FrameScanner {
    static final int OPCODE_CLOSE = 0x8;
    /** No close code in the close frame (RFC 6455 section 7.1.5); never sent on the wire. */
    static final int NO_STATUS = 1005;

    private final long maxMessageBytes;
    private long payloadRemaining;
    private long messageBytes;
    private boolean closeSeen;
    private int closeCode = NO_STATUS;
    private int violation;
    private String violationReason;

    /** @param maxMessageBytes the largest message (all its fragments) allowed; 0 for no limit */
    FrameScanner(long maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * Scans {@code buf} from its position to its limit (both left as they are) and returns the index up to which
     * the bytes may be forwarded. Bytes past it are an incomplete header (kept for the next read), a frame that
     * breaks a rule ({@link #violation()} says which), or, with {@code stopAtFrameStart}, the next frame.
     */
    int scan(ByteBuffer buf, boolean stopAtFrameStart) {
        int p = buf.position();
        int limit = buf.limit();
        while (p < limit) {
            if (payloadRemaining > 0) {
                long skip = Math.min(payloadRemaining, limit - p);
                p += (int) skip;
                payloadRemaining -= skip;
                continue;
            }
            if (stopAtFrameStart || violation != 0) {
                return p;
            }
            int header = headerLength(buf, p, limit);
            if (header < 0) {
                return p;
            }
            if (!acceptFrame(buf, p, header, limit)) {
                return p; // a violation, or a close frame whose code has not arrived yet: stop before this frame
            }
            p += header;
        }
        return p;
    }

    /** The header's length, or -1 when the bytes at {@code p} do not hold the whole header yet. */
    private static int headerLength(ByteBuffer buf, int p, int limit) {
        if (limit - p < 2) {
            return -1;
        }
        int b1 = buf.get(p + 1) & 0xff;
        int len7 = b1 & 0x7f;
        int header = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((b1 & 0x80) != 0 ? 4 : 0);
        return limit - p < header ? -1 : header;
    }

    /** Checks the frame whose header starts at {@code p}; false to stop before it. */
    private boolean acceptFrame(ByteBuffer buf, int p, int header, int limit) {
        int b0 = buf.get(p) & 0xff;
        int b1 = buf.get(p + 1) & 0xff;
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0f;
        boolean masked = (b1 & 0x80) != 0;
        int len7 = b1 & 0x7f;
        long length = len7 == 126 ? buf.getShort(p + 2) & 0xffff : len7 == 127 ? buf.getLong(p + 2) : len7;
        if (length < 0) {
            return violate(1002, "frame length out of range");
        }
        if (opcode >= 0x8) {
            if (length > 125 || !fin) {
                return violate(1002, "control frame too long or fragmented");
            }
            if (opcode == OPCODE_CLOSE) {
                int codeBytes = (int) Math.min(2, length);
                if (limit - p < header + codeBytes) {
                    return false; // wait for the code to arrive with its header
                }
                closeSeen = true;
                if (length >= 2) {
                    int at = p + header;
                    int hi = buf.get(at) & 0xff;
                    int lo = buf.get(at + 1) & 0xff;
                    if (masked) {
                        hi ^= buf.get(p + header - 4) & 0xff;
                        lo ^= buf.get(p + header - 3) & 0xff;
                    }
                    closeCode = (hi << 8) | lo;
                }
            }
        } else {
            messageBytes = opcode == 0 ? messageBytes + length : length;
            if (maxMessageBytes > 0 && messageBytes > maxMessageBytes) {
                return violate(1009, "message larger than " + maxMessageBytes + " bytes");
            }
            if (fin) {
                messageBytes = 0;
            }
        }
        payloadRemaining = length;
        return true;
    }

    private boolean violate(int code, String reason) {
        violation = code;
        violationReason = reason;
        return false;
    }

    /** True when everything scanned so far ends on a frame boundary. */
    boolean atFrameStart() {
        return payloadRemaining == 0;
    }

    boolean closeSeen() {
        return closeSeen;
    }

    int closeCode() {
        return closeCode;
    }

    /** The close code a broken rule calls for (1002 protocol error, 1009 too big), or 0. */
    int violation() {
        return violation;
    }

    String violationReason() {
        return violationReason;
    }
}
