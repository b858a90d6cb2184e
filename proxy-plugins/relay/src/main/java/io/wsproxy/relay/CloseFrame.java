package io.wsproxy.relay;

import io.wsproxy.websocket.Utf8;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/** Close frames the relay writes itself, when a side cannot speak for itself. */
final class CloseFrame {
    private CloseFrame() {
    }

    /**
     * A close frame with {@code code} and {@code reason} (cut to fit 123 bytes without splitting a character); masked, as RFC 6455 requires,
     * when it goes to the upstream, to which the relay is the client.
     */
    static ByteBuffer of(int code, String reason, boolean masked) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int textLength = Utf8.cut(text, 123);
        int payload = 2 + textLength;
        ByteBuffer frame = ByteBuffer.allocate(2 + (masked ? 4 : 0) + payload);
        frame.put((byte) 0x88);
        frame.put((byte) ((masked ? 0x80 : 0) | payload));
        byte[] mask = new byte[4];
        if (masked) {
            ThreadLocalRandom.current().nextBytes(mask);
            frame.put(mask);
        }
        int start = frame.position();
        frame.put((byte) (code >> 8)).put((byte) code).put(text, 0, textLength);
        for (int i = 0; i < payload; i++) {
            frame.put(start + i, (byte) (frame.get(start + i) ^ mask[i & 3]));
        }
        return frame.flip();
    }
}
