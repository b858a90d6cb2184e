package io.wsproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** HTTP/1.1 written and read by hand on a plain socket, for what a well-behaved client library will not do. */
public final class RawHttp {
    /** How long a read waits: far past any timer under test, so a read that times out is a failure. */
    public static final int READ_TIMEOUT_MS = 10_000;

    /** A valid Sec-WebSocket-Key (RFC 6455's example). */
    public static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    private static final Pattern KEY_HEADER = Pattern.compile("(?i)sec-websocket-key: *(\\S+)");

    private RawHttp() {
    }

    /** An upgrade request for {@code target} (path and query) over HTTP/1.1, with {@link #KEY}. */
    public static String upgradeRequest(String target) {
        return upgradeRequest("GET " + target + " HTTP/1.1", "Sec-WebSocket-Key: " + KEY + "\r\n");
    }

    /** An upgrade request with its own request line and key header lines (each ending in CRLF). */
    public static String upgradeRequest(String requestLine, String keyLines) {
        return requestLine + "\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + keyLines
                + "Sec-WebSocket-Version: 13\r\n\r\n";
    }

    /** The Sec-WebSocket-Key of a request head, or "" when it has none. */
    public static String webSocketKey(String head) {
        Matcher key = KEY_HEADER.matcher(head);
        return key.find() ? key.group(1) : "";
    }

    /**
     * A scripted target on a thread of its own: accepts one upgrade on {@code target}, writes {@code answer} of
     * its Sec-WebSocket-Key in one piece, then holds the connection until the peer closes it.
     */
    public static void answerUpgradeOnce(ServerSocket target, UnaryOperator<String> answer) {
        Thread answering = new Thread(() -> {
            try (Socket socket = target.accept()) {
                send(socket, answer.apply(webSocketKey(readHead(socket.getInputStream()))));
                socket.getInputStream().read(); // until the peer closes
            } catch (Exception e) {
                // the test fails on its own side when the answer does not come
            }
        });
        answering.setDaemon(true);
        answering.start();
    }

    public static Socket connect(TestProxy proxy) throws IOException {
        return connect(proxy.server().port());
    }

    public static Socket connect(int port) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(READ_TIMEOUT_MS);
        return socket;
    }

    public static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Sends a GET for {@code path} on a connection of its own and returns the status line of the answer. */
    public static String statusLine(int port, String path) throws IOException {
        try (Socket socket = connect(port)) {
            send(socket, "GET " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            String head = readHead(socket.getInputStream());
            return head.substring(0, head.indexOf("\r\n"));
        }
    }

    /** Reads up to the blank line that ends a head, and no further. */
    public static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("the connection ended inside a head: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    /** Everything until the connection ends; fails when it does not end within the read timeout. */
    public static String readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                seen.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the connection was never closed; read so far: " + seen.size() + " bytes", e);
        } catch (IOException reset) {
            // a connection closed with bytes unread is reset: it ended all the same
        }
        return seen.toString(StandardCharsets.ISO_8859_1);
    }

    public static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
