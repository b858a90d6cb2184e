package io.wsproxy.upstream;

import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
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
        String text = key == null ? "" : key.strip();
        if (text.length() != 24) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(text).length == 16;
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
    }

    /**
     * Why a target's 101 is no WebSocket handshake for {@code key} (RFC 6455 4.1), or null: it switched to another
     * protocol, or did not answer with the one accept that proves it read the key.
     */
    public static String answerProblem(String key, HeaderMap answer) {
        String upgrade = answer.getFirst(Headers.UPGRADE);
        if (!"websocket".equalsIgnoreCase(upgrade)) {
            return "switched protocols to " + (upgrade == null ? "none named" : "'" + upgrade + "'") + ", not websocket";
        }
        HeaderValues accepts = answer.get(Headers.SEC_WEB_SOCKET_ACCEPT);
        if (accepts == null || accepts.size() != 1 || !accept(key).equals(accepts.getFirst())) {
            return "answered the handshake with a wrong or no Sec-WebSocket-Accept";
        }
        return null;
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
