package io.wsproxy.upstream;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/** RFC 6455 section 4: the Sec-WebSocket-Key a client sends and the Sec-WebSocket-Accept that answers it. */
public final class WebSocketKeys {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private WebSocketKeys() {
    }

    /** A fresh random key (16 bytes, base64), as a client sends it. */
    public static String newKey() {
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        return Base64.getEncoder().encodeToString(nonce);
    }

    /** True for a key as RFC 6455 4.1 has a client send it: 16 bytes in base64 (24 characters). */
    public static boolean isValid(String key) {
        if (key == null || key.strip().length() != 24) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key.strip()).length == 16;
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
    }

    /** The accept value that proves a server read {@code key}. */
    public static String accept(String key) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            return Base64.getEncoder().encodeToString(sha1.digest((key.trim() + GUID).getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JVM", e);
        }
    }
}
