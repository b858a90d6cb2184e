package io.wsproxy.server;

import static io.wsproxy.testing.RawHttp.connect;
import static io.wsproxy.testing.RawHttp.millisSince;
import static io.wsproxy.testing.RawHttp.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wsproxy.testing.KernelSockets;
import io.wsproxy.testing.TestProxy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What one client connection may cost before it has sent a request: clients that stop half-way through the head,
 * send it a byte at a time, or send nothing are closed once {@code headerTimeout} or {@code keepAliveTimeout} has
 * passed, and a head larger than {@code maxHeaderBytes} is refused, so such clients cannot pile up.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientLimitsTest {
    private static final String NO_MATCH = """
              - name: none
                pattern: "^/never$"
                target: "http://127.0.0.1:9"
                ws: false
            """;
    /** Neither timer fires before its time; a little slack for the clocks of two threads. */
    private static final long AT_LEAST_MS = 250;

    @Test
    void aHeadLeftUnfinishedIsClosedAfterHeaderTimeout() throws Exception {
        try (TestProxy proxy = TestProxy.startWithServer("headerTimeout: 300ms", NO_MATCH);
             Socket client = connect(proxy)) {
            long start = System.nanoTime();
            send(client, "GET /x HTTP/1.1\r\nHost: a\r\n");
            assertEquals(-1, client.getInputStream().read(), "the proxy answered instead of closing");
            assertTrue(millisSince(start) >= AT_LEAST_MS, "closed after " + millisSince(start) + " ms");
        }
    }

    @Test
    void aHeadSentByteByByteIsClosedAfterHeaderTimeout() throws Exception {
        try (TestProxy proxy = TestProxy.startWithServer("headerTimeout: 300ms", NO_MATCH);
             Socket client = connect(proxy)) {
            long start = System.nanoTime();
            send(client, "GET /x HTTP/1.1\r\nX-Slow: ");
            client.setSoTimeout(50); // paces the trickle: one byte per 50 ms, each read a check for the close
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            boolean closed = false;
            for (int i = 0; i < 400 && !closed; i++) {
                try {
                    out.write('a');
                    out.flush();
                    closed = in.read() == -1;
                } catch (SocketTimeoutException stillOpen) {
                    // no answer yet: send the next byte
                } catch (IOException reset) {
                    closed = true;
                }
            }
            assertTrue(closed, "a head trickled over 20 s was never cut off");
            assertTrue(millisSince(start) >= AT_LEAST_MS, "closed after " + millisSince(start) + " ms");
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAfterKeepAliveTimeout() throws Exception {
        try (TestProxy proxy = TestProxy.startWithServer("keepAliveTimeout: 300ms", NO_MATCH);
             Socket client = connect(proxy)) {
            long start = System.nanoTime();
            assertEquals(-1, client.getInputStream().read());
            assertTrue(millisSince(start) >= AT_LEAST_MS, "closed after " + millisSince(start) + " ms");
        }
    }

    @Test
    void aKeptAliveConnectionIsClosedWhenNoNextRequestComes() throws Exception {
        try (TestProxy proxy = TestProxy.startWithServer("keepAliveTimeout: 300ms", NO_MATCH);
             Socket client = connect(proxy)) {
            send(client, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
            // everything up to the end of the stream: the answer, then the close
            String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(answer.startsWith("HTTP/1.1 404 "), answer);
            assertFalse(answer.toLowerCase(Locale.ROOT).contains("connection: close"), "closed for another reason: "
                    + answer);
        }
    }

    @Test
    void aHeadLargerThanMaxHeaderBytesIsRefusedWith400() throws Exception {
        try (TestProxy proxy = TestProxy.startWithServer("maxHeaderBytes: 4KiB", NO_MATCH);
             Socket client = connect(proxy)) {
            send(client, "GET /x HTTP/1.1\r\nHost: a\r\nX-Big: " + "a".repeat(8 * 1024) + "\r\n\r\n");
            String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        }
    }

    @Test
    void aHeadWithinMaxHeaderBytesIsRouted() throws Exception {
        try (TestProxy proxy = TestProxy.startWithServer("maxHeaderBytes: 4KiB", NO_MATCH);
             Socket client = connect(proxy)) {
            send(client, "GET /x HTTP/1.1\r\nHost: a\r\nX-Big: " + "a".repeat(3 * 1024) + "\r\nConnection: close"
                    + "\r\n\r\n");
            String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(answer.startsWith("HTTP/1.1 404 "), answer);
        }
    }

    @Test
    void aRefusedRequestWhoseBodyStallsIsAnsweredAndClosed() throws Exception {
        try (TestProxy proxy = TestProxy.start(NO_MATCH);
             Socket client = connect(proxy)) {
            send(client, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789");
            // the 404 needs none of the body; reading the other 90 bytes first would wait on the client for good
            String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(answer.startsWith("HTTP/1.1 404 "), answer);
            assertTrue(answer.toLowerCase(Locale.ROOT).contains("\r\nconnection: close\r\n"), answer);
        }
    }

    @Test
    void clientConnectionsAreProbedByTcpKeepAliveAfterTheIdleTime() throws Exception {
        try (TestProxy proxy = TestProxy.startWithServer("tcpKeepAlive: 90s", NO_MATCH);
             Socket client = connect(proxy)) {
            answered(client); // the proxy has accepted it: the socket is set up
            KernelSockets.Timer timer = KernelSockets.timer(proxy.server().port(), client.getLocalPort());
            assertEquals(KernelSockets.KEEP_ALIVE_TIMER, timer.kind(), "no keep-alive timer on the proxy's socket");
            assertTrue(timer.seconds() > 60 && timer.seconds() <= 90, "keep-alive due in " + timer.seconds() + " s");
        }
        try (TestProxy proxy = TestProxy.startWithServer("tcpKeepAlive: 0", NO_MATCH);
             Socket client = connect(proxy)) {
            answered(client);
            assertEquals(KernelSockets.NO_TIMER, KernelSockets.timer(proxy.server().port(), client.getLocalPort()).kind());
        }
    }

    private static void answered(Socket client) throws IOException {
        send(client, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        assertTrue(io.wsproxy.testing.RawHttp.readHead(client.getInputStream()).startsWith("HTTP/1.1 404"));
    }
}
