package io.wsproxy.websocket;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Turns the bytes of one direction into whole messages and control frames (RFC 6455 section 5), unmasking as it
 * copies each payload once into a message array that is reused from message to message. Every rule a peer can
 * break ends decoding with the close code it calls for: 1002 for the framing, 1007 for a text that is not UTF-8,
 * 1009 for a message over the limit. No extension is ever negotiated, so reserved bits must be clear.
 */
final class FrameDecoder {
    static final int CONTINUATION = 0x0;
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xa;
    /** A message array grown past this is dropped after its message, so a big message costs memory only once. */
    private static final int RETAINED_BYTES = 64 * 1024;
    private static final byte[] EMPTY = new byte[0];

    /** Where decoded frames go; the arrays are only valid during the call. */
    interface Frames {
        /** A whole message; false to stop decoding after it. */
        boolean message(boolean text, byte[] data, int length);

        /** A ping, pong or close frame (a close's payload already checked); false to stop decoding after it. */
        boolean control(int opcode, byte[] data, int length);
    }

    private final boolean masked;
    private final long maxMessageBytes;
    private final byte[] control = new byte[125];
    private final byte[] mask = new byte[4];

    private byte[] message = EMPTY;
    private int messageLength;
    private boolean messageText;
    private boolean inMessage;

    private boolean inFrame;
    private int opcode;
    private boolean fin;
    private long remaining;
    private byte[] target;
    private int targetPosition;
    private boolean frameMasked;
    private int maskIndex;

    private int violation;
    private String violationReason;

    /**
     * @param masked          frames must be masked (a server reading its clients) or must not be (a client)
     * @param maxMessageBytes the largest message, all its fragments together
     */
    FrameDecoder(boolean masked, long maxMessageBytes) {
        this.masked = masked;
        this.maxMessageBytes = Math.min(maxMessageBytes, Integer.MAX_VALUE - 8);
    }

    /**
     * Decodes from {@code buf}'s position on, leaving it after what was used: a header not yet whole stays in the
     * buffer. False when the peer broke a rule ({@link #violation()} says which); nothing more can be decoded then.
     */
    boolean decode(ByteBuffer buf, Frames frames) {
        if (violation != 0) {
            return false;
        }
        while (true) {
            if (!inFrame && !readHeader(buf)) {
                return violation == 0;
            }
            int n = (int) Math.min(remaining, buf.remaining());
            if (n > 0) {
                buf.get(target, targetPosition, n);
                if (frameMasked) {
                    unmask(target, targetPosition, n);
                }
                targetPosition += n;
                remaining -= n;
            }
            if (remaining > 0) {
                return true;
            }
            inFrame = false;
            if (!frameDone(frames)) {
                return violation == 0;
            }
        }
    }

    /** False when the header is not whole yet or breaks a rule. */
    private boolean readHeader(ByteBuffer buf) {
        int p = buf.position();
        if (buf.limit() - p < 2) {
            return false;
        }
        int b0 = buf.get(p) & 0xff;
        int b1 = buf.get(p + 1) & 0xff;
        int len7 = b1 & 0x7f;
        boolean m = (b1 & 0x80) != 0;
        int headerLength = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (m ? 4 : 0);
        if (buf.limit() - p < headerLength) {
            return false;
        }
        long length = len7 == 126 ? buf.getShort(p + 2) & 0xffff : len7 == 127 ? buf.getLong(p + 2) : len7;
        int op = b0 & 0x0f;
        boolean f = (b0 & 0x80) != 0;
        if ((b0 & 0x70) != 0) {
            return violate(1002, "reserved bits set, but no extension was agreed");
        }
        if (m != masked) {
            return violate(1002, masked ? "a client's frames must be masked" : "a server's frames must not be masked");
        }
        if (length < 0) {
            return violate(1002, "frame length out of range");
        }
        if (op >= CLOSE) {
            if (op > PONG) {
                return violate(1002, "unknown opcode " + op);
            }
            if (!f || length > 125) {
                return violate(1002, "control frame too long or fragmented");
            }
            target = control;
            targetPosition = 0;
        } else {
            if (op == CONTINUATION) {
                if (!inMessage) {
                    return violate(1002, "continuation frame without a message to continue");
                }
            } else if (op == TEXT || op == BINARY) {
                if (inMessage) {
                    return violate(1002, "new message before the last one's final fragment");
                }
                inMessage = true;
                messageText = op == TEXT;
                messageLength = 0;
            } else {
                return violate(1002, "unknown opcode " + op);
            }
            if (messageLength + length > maxMessageBytes) {
                return violate(1009, "message larger than " + maxMessageBytes + " bytes");
            }
            ensureCapacity(messageLength + (int) length);
            target = message;
            targetPosition = messageLength;
        }
        opcode = op;
        fin = f;
        remaining = length;
        frameMasked = m;
        if (m) {
            buf.get(p + headerLength - 4, mask);
            maskIndex = 0;
        }
        buf.position(p + headerLength);
        inFrame = true;
        return true;
    }

    /** False to stop: the receiver asked to, or the frame broke a rule. */
    private boolean frameDone(Frames frames) {
        if (opcode >= CLOSE) {
            if (opcode == CLOSE && !checkClose(control, targetPosition)) {
                return false;
            }
            return frames.control(opcode, control, targetPosition);
        }
        messageLength = targetPosition;
        if (!fin) {
            return true;
        }
        inMessage = false;
        if (messageText && !Utf8.isValid(message, 0, messageLength)) {
            return violate(1007, "text message is not valid UTF-8");
        }
        boolean more = frames.message(messageText, message, messageLength);
        if (message.length > RETAINED_BYTES) {
            message = EMPTY;
        }
        return more;
    }

    private boolean checkClose(byte[] payload, int length) {
        if (length == 1) {
            return violate(1002, "close frame with a one-byte payload");
        }
        if (length >= 2) {
            int code = closeCode(payload, length);
            if (!isSendable(code)) {
                return violate(1002, "invalid close code " + code);
            }
            if (!Utf8.isValid(payload, 2, length - 2)) {
                return violate(1007, "close reason is not valid UTF-8");
            }
        }
        return true;
    }

    /** The code of a checked close frame's payload; 1005 when it carries none. */
    static int closeCode(byte[] payload, int length) {
        return length < 2 ? 1005 : ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    }

    /** Codes a peer may put on the wire (RFC 6455 section 7.4; 1005, 1006 and 1015 only report). */
    static boolean isSendable(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }

    private void unmask(byte[] data, int offset, int length) {
        int m = maskIndex;
        for (int i = offset, end = offset + length; i < end; i++) {
            data[i] ^= mask[m & 3];
            m++;
        }
        maskIndex = m & 3;
    }

    private void ensureCapacity(int needed) {
        if (message.length >= needed) {
            return;
        }
        long grown = Math.min(Math.max(1024L, 2L * message.length), maxMessageBytes);
        message = Arrays.copyOf(message, (int) Math.max(needed, grown));
    }

    private boolean violate(int code, String reason) {
        violation = code;
        violationReason = reason;
        return false;
    }

    int violation() {
        return violation;
    }

    String violationReason() {
        return violationReason;
    }
}
