package io.wsproxy.server;

import static io.wsproxy.testing.RawHttp.READ_TIMEOUT_MS;
import static io.wsproxy.testing.RawHttp.connect;
import static io.wsproxy.testing.RawHttp.readHead;
import static io.wsproxy.testing.RawHttp.readToEnd;
import static io.wsproxy.testing.RawHttp.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wsproxy.testing.TestProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Response heads a target may send that cannot be relayed byte for byte: the body's framing says two things at
 * once (a 502, as nginx answers), the status allows no body whatever the headers say, or interim responses come
 * first, which Undertow's client would take for the final one. The targets are scripted sockets that keep their connection open,
 * as a keep-alive server does.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpUpstreamHeadsTest {
    private ServerSocket upstream;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        upstream.setSoTimeout(READ_TIMEOUT_MS);
        proxy = TestProxy.start("""
                  - name: api
                    pattern: "^/"
                    target: "http://127.0.0.1:%d"
                    ws: false
                """.formatted(upstream.getLocalPort()));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    @Test
    void aResponseWithBothContentLengthAndTransferEncodingIs502() throws Exception {
        String answer = answerTo("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "b\r\nhello world\r\n0\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 502 "), answer);
        assertTrue(answer.contains("both Content-Length and Transfer-Encoding"), answer);
        assertEquals(502, proxy.nextHttpAccessLog().status());
    }

    @Test
    void aResponseWithTwoContentLengthsIs502() throws Exception {
        String answer = answerTo("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 11\r\n\r\nhello world");
        assertTrue(answer.startsWith("HTTP/1.1 502 "), answer);
        assertTrue(answer.contains("Content-Length"), answer);
        assertEquals(502, proxy.nextHttpAccessLog().status());
    }

    @Test
    void aResponseInATransferCodingOtherThanChunkedIs502() throws Exception {
        // only chunked is undone on the way: the gzip would reach the client as if it were the body
        String answer = answerTo("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 502 "), answer);
        assertTrue(answer.contains("Transfer-Encoding gzip, chunked"), answer);
        assertEquals(502, proxy.nextHttpAccessLog().status());
    }

    @Test
    void aNotModifiedWithTheRepresentationsContentLengthIsRelayedWithoutABody() throws Exception {
        // RFC 9110 8.6: a 304 may carry the Content-Length the 200 would have had; no body follows it
        String answer = answerTo("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 40\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 304 "), answer);
        assertTrue(answer.contains("ETag: \"v1\"\r\n"), answer);
        HttpAccessLogEntry logged = proxy.nextHttpAccessLog();
        assertEquals(304, logged.status());
        assertEquals(HttpAccessLogEntry.COMPLETE, logged.outcome());
    }

    @Test
    void aNoContentThatClaimsABodyIsRelayedWithoutOne() throws Exception {
        String answer = answerTo("HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 204 "), answer);
        assertEquals(HttpAccessLogEntry.COMPLETE, proxy.nextHttpAccessLog().outcome());
    }

    @Test
    void interimResponsesAreDroppedAndTheFinalOneIsRelayed() throws Exception {
        String answer = answerTo("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 102 Processing\n\n" // bare LF line ends, which RFC 9112 2.2 lets a recipient take
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Final: yes\r\n\r\nok");
        assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        assertTrue(answer.contains("X-Final: yes\r\n"), answer);
        assertTrue(answer.endsWith("\r\n\r\nok"), answer);
        assertFalse(answer.contains("preload"), answer);
        HttpAccessLogEntry logged = proxy.nextHttpAccessLog();
        assertEquals(200, logged.status());
        assertEquals(HttpAccessLogEntry.COMPLETE, logged.outcome());
    }

    @Test
    void aStatusLineThatOnlyBeginsLikeAnInterimOneIsNotDropped() throws Exception {
        // dropped, it would leave the client waiting for a response that is not coming
        String answer = answerTo("HTTP/1.1 1030 Odd\r\nContent-Length: 0\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 502 "), answer);
        assertTrue(answer.contains("malformed status line"), answer);
        assertEquals(502, proxy.nextHttpAccessLog().status());
    }

    @Test
    void aHeadThatIsNotHttpIsA502ThatSaysWhy() throws Exception {
        for (String[] head : new String[][] {
                {"HTTP/1.1 200 OK\r\nX-Bad : x\r\nContent-Length: 0\r\n\r\n", "malformed header line \\\"X-Bad : x\\\""},
                {"HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\nContent-Length: 0\r\n\r\n", "folded header line"},
                {"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n", "malformed status line"}}) {
            String answer = answerTo(head[0]);
            assertTrue(answer.startsWith("HTTP/1.1 502 "), answer);
            // not the ClosedChannelException Undertow's parser left behind
            assertTrue(answer.contains(head[1]), answer);
            assertEquals(502, proxy.nextHttpAccessLog().status());
        }
    }

    @Test
    void aHeadOfBareLineFeedsIsRelayed() throws Exception {
        // RFC 9112 2.2 lets a recipient take a bare LF for a line's end; Undertow's parser alone would not
        String answer = answerTo("HTTP/1.1 200 OK\nContent-Length: 2\nX-A: a\n\nok");
        assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        assertTrue(answer.contains("X-A: a\r\n") && answer.endsWith("\r\n\r\nok"), answer);
    }

    @Test
    void aTargetThatClosesAfterAnInterimResponseIs502() throws Exception {
        String answer = answerTo("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", true);
        assertTrue(answer.startsWith("HTTP/1.1 502 "), answer);
        assertEquals(502, proxy.nextHttpAccessLog().status());
    }

    @Test
    void interimResponsesWithoutEndCountAgainstTheHeadLimit() throws Exception {
        String hint = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n";
        String answer = answerTo(hint.repeat((int) (ForwardedExchange.MAX_RESPONSE_HEAD_BYTES / hint.length()) + 1)
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertTrue(answer.startsWith("HTTP/1.1 502 "), answer);
        assertTrue(answer.contains("response head over"), answer);
        assertEquals(502, proxy.nextHttpAccessLog().status());
    }

    @Test
    void aResponseHeadOverTheLimitIsA502AndIsReadNoFurther() throws Exception {
        try (Socket client = connect(proxy)) {
            send(client, "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            try (Socket server = upstream.accept()) {
                server.setSoTimeout(READ_TIMEOUT_MS);
                readHead(server.getInputStream());
                // a head that would fill the heap if it were read whole before being checked
                CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                    try {
                        send(server, "HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(32 << 20) + "\r\n\r\n");
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                String answer = readToEnd(client.getInputStream());
                assertTrue(answer.startsWith("HTTP/1.1 502 "), answer.substring(0, Math.min(answer.length(), 200)));
                assertTrue(answer.contains("response head over"), answer.substring(0, Math.min(answer.length(), 200)));
                assertThrows(ExecutionException.class, () -> writing.get(30, TimeUnit.SECONDS),
                        "the proxy read the whole head");
                assertEquals(502, proxy.nextHttpAccessLog().status());
            }
        }
    }

    /**
     * Sends a GET on a connection that asks to be closed, answers it with {@code response} from a target that keeps
     * its connection open, and returns all the client got.
     */
    private String answerTo(String response) throws IOException {
        return answerTo(response, false);
    }

    /** As {@link #answerTo(String)}; {@code thenClose}: the target closes its connection after the response. */
    private String answerTo(String response, boolean thenClose) throws IOException {
        try (Socket client = connect(proxy)) {
            send(client, "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            try (Socket server = upstream.accept()) {
                server.setSoTimeout(READ_TIMEOUT_MS);
                readHead(server.getInputStream());
                send(server, response);
                if (thenClose) {
                    server.shutdownOutput();
                }
                return readToEnd(client.getInputStream());
            }
        }
    }
}
