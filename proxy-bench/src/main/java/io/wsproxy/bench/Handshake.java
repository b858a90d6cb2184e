package io.wsproxy.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/** The RFC 6455 opening handshake: keys, Sec-WebSocket-Accept, and HTTP head parsing. */
final class Handshake {
  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final ThreadLocal<MessageDigest> SHA1 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  });

  /** Refuse HTTP heads larger than this. */
  static final int MAX_HEAD = 16 * 1024;

  private Handshake() {}

  static String newKey() {
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    return Base64.getEncoder().encodeToString(nonce);
  }

  static String accept(String key) {
    byte[] digest = SHA1.get().digest((key.trim() + GUID).getBytes(StandardCharsets.US_ASCII));
    return Base64.getEncoder().encodeToString(digest);
  }

  static byte[] request(String hostHeader, String path, String key) {
    String req = "GET " + path + " HTTP/1.1\r\n"
        + "Host: " + hostHeader + "\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + key + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n\r\n";
    return req.getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] response(String key) {
    String resp = "HTTP/1.1 101 Switching Protocols\r\n"
        + "Upgrade: websocket\r\n"
        + "Connection: Upgrade\r\n"
        + "Sec-WebSocket-Accept: " + accept(key) + "\r\n\r\n";
    return resp.getBytes(StandardCharsets.US_ASCII);
  }

  /** Length of the HTTP head (through the blank line) at the buffer's position, or -1 if incomplete. */
  static int headLength(ByteBuffer in) {
    int start = in.position();
    for (int i = start + 3; i < in.limit(); i++) {
      if (in.get(i) == '\n' && in.get(i - 1) == '\r' && in.get(i - 2) == '\n' && in.get(i - 3) == '\r') {
        return i + 1 - start;
      }
    }
    return -1;
  }

  /** Consumes {@code len} bytes of HTTP head as a string. */
  static String takeHead(ByteBuffer in, int len) {
    byte[] b = new byte[len];
    in.get(b);
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  /** Value of a header (case-insensitive name) in an HTTP head, or null. */
  static String header(String head, String name) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }
}
