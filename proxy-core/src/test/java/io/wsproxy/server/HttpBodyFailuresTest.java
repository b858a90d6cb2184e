package io.wsproxy.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static io.wsproxy.testing.RawHttp.READ_TIMEOUT_MS;
import static io.wsproxy.testing.RawHttp.connect;
import static io.wsproxy.testing.RawHttp.millisSince;
import static io.wsproxy.testing.RawHttp.readHead;
import static io.wsproxy.testing.RawHttp.readToEnd;
import static io.wsproxy.testing.RawHttp.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.wsproxy.testing.LoopbackWireMock;
import io.wsproxy.testing.TestProxy;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Plain HTTP bodies that stop moving, in either direction and through either side's fault, are cut off once
 * {@code bodyTimeout} passes without a byte (408 or 504 while no response has begun, both connections closed after
 * that); bodies that keep moving are never cut, however long they take in all, and a slow upload does not use up
 * {@code responseTimeout}. Each such ending is logged with what happened. The misbehaving upstreams are scripted
 * sockets, the well-behaved one is WireMock.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpBodyFailuresTest {
    /** The timer does not fire before its time; a little slack for the clocks of two threads. */
    private static final long AT_LEAST_MS = 250;
    /** Far more than the socket buffers between the two ends can hold, so a writer that is not read blocks. */
    private static final long ENDLESS = 256L << 20;

    private ServerSocket upstream;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        upstream.setSoTimeout(READ_TIMEOUT_MS);
        proxy = TestProxy.startWithServer("bodyTimeout: 300ms", rule(upstream.getLocalPort()));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        upstream.close();
    }

    @Test
    void aResponseBodyThatStopsIsCutOffAfterBodyTimeout() throws Exception {
        try (Socket client = connect(proxy)) {
            send(client, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
            try (Socket server = accept()) {
                readHead(server.getInputStream());
                send(server, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
                long start = System.nanoTime();
                String seen = readToEnd(client.getInputStream());
                assertTrue(millisSince(start) >= AT_LEAST_MS, "cut after " + millisSince(start) + " ms");
                assertTrue(seen.startsWith("HTTP/1.1 200 "), seen);
                assertTrue(seen.endsWith("\r\n\r\n0123456789"), seen);
                assertClosed(server);
                HttpAccessLogEntry logged = proxy.nextHttpAccessLog();
                assertEquals(HttpAccessLogEntry.STALLED, logged.outcome());
                assertEquals(10, logged.bytesToClient());
            }
        }
    }

    @Test
    void aResponseBodyWithNoBufferToPassThroughIsCutOffAtOnce() throws Exception {
        try (Socket client = connect(proxy)) {
            send(client, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
            try (Socket server = accept()) {
                readHead(server.getInputStream());
                send(server, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n01234");
                InputStream toClient = client.getInputStream();
                assertTrue(readHead(toClient).startsWith("HTTP/1.1 200 "));
                assertEquals("01234", new String(toClient.readNBytes(5), StandardCharsets.US_ASCII));
                proxy.pool().refuseAbove(0); // direct memory used up: the body's next bytes have nowhere to go
                try {
                    send(server, "56789");
                    assertClosed(server);
                    // not stalled: the transfer ends at the first buffer it cannot have, not a body timeout later
                    assertEquals(HttpAccessLogEntry.UPSTREAM_FAILED, proxy.nextHttpAccessLog().outcome());
                } finally {
                    proxy.pool().refuseAbove(Integer.MAX_VALUE);
                }
            }
        }
    }

    @Test
    void aClientThatStopsReadingTheResponseIsCutOff() throws Exception {
        try (Socket client = connect(proxy)) {
            send(client, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
            try (Socket server = accept()) {
                readHead(server.getInputStream());
                CompletableFuture<Long> written = writeInBackground(server,
                        "HTTP/1.1 200 OK\r\nContent-Length: " + ENDLESS + "\r\n\r\n");
                ExecutionException stopped = assertThrows(ExecutionException.class,
                        () -> written.get(30, TimeUnit.SECONDS), "the upstream's writes were never refused");
                assertTrue(stopped.getCause() instanceof IOException, stopped.toString());
                // what the proxy had passed on before it gave up is still readable, then the connection ends
                String seen = readToEnd(client.getInputStream());
                assertTrue(seen.startsWith("HTTP/1.1 200 "), seen.substring(0, Math.min(seen.length(), 200)));
                assertEquals(HttpAccessLogEntry.STALLED, proxy.nextHttpAccessLog().outcome());
            }
        }
    }

    @Test
    void aRequestBodyThatStopsIsAnswered408() throws Exception {
        try (Socket client = connect(proxy)) {
            send(client, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789");
            try (Socket server = accept()) {
                InputStream fromProxy = server.getInputStream();
                readHead(fromProxy);
                assertEquals("0123456789", new String(fromProxy.readNBytes(10), StandardCharsets.US_ASCII));
                long start = System.nanoTime();
                String answer = readToEnd(client.getInputStream());
                assertTrue(millisSince(start) >= AT_LEAST_MS, "answered after " + millisSince(start) + " ms");
                assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
                assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("\r\nconnection: close\r\n"), answer);
                assertTrue(answer.contains("no request body received for 300 ms"), answer);
                assertClosed(server);
                HttpAccessLogEntry logged = proxy.nextHttpAccessLog();
                assertEquals(408, logged.status());
                assertEquals(10, logged.bytesFromClient());
            }
        }
    }

    @Test
    void aChunkedUploadTheClientAbandonsNeverReachesTheTargetAsAWholeRequest() throws Exception {
        try (Socket server = clientSendsThenLeaves("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhel")) {
            String body = readToEnd(server.getInputStream());
            assertTrue(body.contains("hel"), body);
            assertFalse(body.endsWith("0\r\n\r\n"), "the body was ended for the client: " + body);
            assertEquals(HttpAccessLogEntry.CLIENT_FAILED, proxy.nextHttpAccessLog().outcome());
        }
    }

    @Test
    void aClientThatLeavesWhileTheTargetThinksFreesTheTargetAtOnceAndIsLogged499() throws Exception {
        for (String request : new String[] {"GET /x HTTP/1.1\r\nHost: a\r\n\r\n",
                "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"}) {
            try (Socket server = clientSendsThenLeaves(request)) {
                // long before responseTimeout (60 s), which would otherwise end the wait
                assertClosed(server);
                HttpAccessLogEntry logged = proxy.nextHttpAccessLog();
                assertEquals(499, logged.status(), request);
                assertEquals(HttpAccessLogEntry.CLIENT_FAILED, logged.outcome(), request);
            }
        }
    }

    @Test
    void aClientThatLeavesWhileItsTargetIsDialledIsLogged499AtOnce() throws Exception {
        // a listener that accepts nothing, its queue full: the kernel drops further SYNs, and a connect hangs
        try (ServerSocket deaf = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             TestProxy patient = TestProxy.startWithServer("connectTimeout: 60s", rule(deaf.getLocalPort()))) {
            List<Socket> queued = new ArrayList<>();
            try {
                for (int i = 0; ; i++) {
                    assertTrue(i < 64, "the listen queue never filled");
                    Socket probe = new Socket();
                    try {
                        probe.connect(deaf.getLocalSocketAddress(), 300);
                        queued.add(probe);
                    } catch (java.net.SocketTimeoutException full) {
                        probe.close();
                        break;
                    }
                }
                try (Socket client = connect(patient)) {
                    send(client, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
                }
                // long before the 60 s connect timeout (nextHttpAccessLog waits 10 s)
                HttpAccessLogEntry logged = patient.nextHttpAccessLog();
                assertEquals(499, logged.status());
                assertEquals(HttpAccessLogEntry.CLIENT_FAILED, logged.outcome());
            } finally {
                for (Socket socket : queued) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void stoppingLetsARequestUnderWayFinish() throws Exception {
        TestProxy stopping = TestProxy.start(rule(upstream.getLocalPort()));
        try (Socket client = connect(stopping); Socket idle = connect(stopping)) {
            send(client, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
            try (Socket server = accept()) {
                readHead(server.getInputStream());
                CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
                    try {
                        stopping.close(); // 5 s of grace
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                awaitRefused(stopping); // the stop has begun
                // a request on a connection opened before: turned away, and told to go elsewhere
                send(idle, "GET /y HTTP/1.1\r\nHost: a\r\n\r\n");
                String refused = readHead(idle.getInputStream());
                assertTrue(refused.startsWith("HTTP/1.1 503 "), refused);
                assertTrue(refused.toLowerCase(java.util.Locale.ROOT).contains("\r\nconnection: close\r\n"), refused);
                send(server, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
                String answer = readHead(client.getInputStream());
                assertTrue(answer.startsWith("HTTP/1.1 200 "), "cut by the stop: " + answer);
                // the connection is about to close: the client must not send another request on it
                assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("\r\nconnection: close\r\n"), answer);
                assertEquals("done", new String(client.getInputStream().readNBytes(4), StandardCharsets.US_ASCII));
                stopped.get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aClientThatStaysIsAnsweredAndItsNextRequestSentEarlyIsServedToo() throws Exception {
        try (Socket client = connect(proxy)) {
            send(client, "GET /first HTTP/1.1\r\nHost: a\r\n\r\n");
            try (Socket server = accept()) {
                readHead(server.getInputStream());
                // the client's next request arrives while the first waits: the watch keeps it for afterwards
                send(client, "GET /second HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
                send(server, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
                try (Socket second = accept()) {
                    assertTrue(readHead(second.getInputStream()).startsWith("GET /second "));
                    send(second, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond");
                    String answers = readToEnd(client.getInputStream());
                    assertTrue(answers.contains("\r\n\r\nfirstHTTP/1.1 200 "), answers);
                    assertTrue(answers.endsWith("\r\n\r\nsecond"), answers);
                }
            }
        }
        assertEquals(200, proxy.nextHttpAccessLog().status());
        assertEquals(200, proxy.nextHttpAccessLog().status());
    }

    @Test
    void anUpstreamThatStopsTakingTheRequestBodyIsAnswered504() throws Exception {
        try (Socket client = connect(proxy)) {
            CompletableFuture<Long> written = writeInBackground(client,
                    "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: " + ENDLESS + "\r\n\r\n");
            try (Socket server = accept()) {
                readHead(server.getInputStream()); // and then reads nothing more
                String answer = readHead(client.getInputStream());
                assertTrue(answer.startsWith("HTTP/1.1 504 "), answer);
                ExecutionException stopped = assertThrows(ExecutionException.class,
                        () -> written.get(30, TimeUnit.SECONDS), "the client's writes were never refused");
                assertTrue(stopped.getCause() instanceof IOException, stopped.toString());
                assertClosed(server);
                assertEquals(504, proxy.nextHttpAccessLog().status());
            }
        }
    }

    @Test
    void aResponseTheUpstreamCutsShortEndsTheClientsConnectionAndIsLoggedAsItsFailure() throws Exception {
        try (Socket client = connect(proxy)) {
            send(client, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
            try (Socket server = accept()) {
                readHead(server.getInputStream());
                send(server, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
                server.shutdownOutput();
                String seen = readToEnd(client.getInputStream());
                assertTrue(seen.endsWith("\r\n\r\n0123456789"), seen);
                HttpAccessLogEntry logged = proxy.nextHttpAccessLog();
                assertEquals(HttpAccessLogEntry.UPSTREAM_FAILED, logged.outcome());
                assertEquals(200, logged.status());
            }
        }
    }

    @Test
    void anUpstreamThatDropsTheConnectionUnderTheRequestBodyIsAnswered502() throws Exception {
        try (Socket client = connect(proxy)) {
            CompletableFuture<Long> written = writeInBackground(client,
                    "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: " + ENDLESS + "\r\n\r\n");
            try (Socket server = accept()) {
                readHead(server.getInputStream());
                server.setSoLinger(true, 0); // a reset, as from a crashed or restarted target
            }
            String answer = readHead(client.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 502 "), answer);
            assertThrows(ExecutionException.class, () -> written.get(30, TimeUnit.SECONDS));
            assertEquals(502, proxy.nextHttpAccessLog().status());
        }
    }

    @Test
    void bodiesThatKeepMovingOutlastBothTimeouts() throws Exception {
        WireMockServer backend = LoopbackWireMock.start();
        // each timeout well above the 80 ms gaps and the head's wait on a loaded machine, and well below the bodies'
        // 0.8 s (request) and 1.6 s (response) in all
        try (TestProxy patient = TestProxy.startWithServer("bodyTimeout: 700ms, responseTimeout: 1s",
                rule(backend.port()))) {
            // 20 chunks over 1.6 s: a byte every 80 ms or so, the whole well past either timeout
            backend.stubFor(any(urlPathEqualTo("/x")).willReturn(aResponse().withStatus(200)
                    .withBody("abcdefghijklmnopqrst").withChunkedDribbleDelay(20, 1600)));
            try (Socket client = connect(patient)) {
                // HTTP/1.0: the response comes unchunked and ends with the connection
                send(client, "POST /x HTTP/1.0\r\nHost: a\r\nContent-Length: 10\r\n\r\n");
                for (int i = 0; i < 10; i++) {
                    send(client, Integer.toString(i));
                    Thread.sleep(80); // the client's pace is what is under test: 800 ms in all
                }
                String answer = readToEnd(client.getInputStream());
                assertTrue(answer.startsWith("HTTP/1.0 200 "), answer);
                assertTrue(answer.endsWith("\r\n\r\nabcdefghijklmnopqrst"), answer);
            }
            backend.verify(postRequestedFor(urlPathEqualTo("/x"))
                    .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.equalTo("0123456789")));
        } finally {
            backend.stop();
        }
    }

    private static String rule(int port) {
        return """
                  - name: api
                    pattern: "^/"
                    target: "http://127.0.0.1:%d"
                    ws: false
                """.formatted(port);
    }

    /** Until {@code proxy} refuses connections, for at most 10 s. */
    private static void awaitRefused(TestProxy proxy) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket probe = connect(proxy)) {
                probe.close();
            } catch (java.net.SocketException refusedOrReset) {
                return; // refused, or reset in the backlog of a listener that closed
            }
        }
        throw new AssertionError("the proxy still accepts connections");
    }

    /** The target's end of a request whose client sent {@code bytes} and then closed its connection. */
    private Socket clientSendsThenLeaves(String bytes) throws IOException {
        try (Socket client = connect(proxy)) {
            send(client, bytes);
            Socket server = accept();
            readHead(server.getInputStream());
            return server;
        }
    }

    private Socket accept() throws IOException {
        Socket server = upstream.accept();
        server.setSoTimeout(READ_TIMEOUT_MS);
        return server;
    }

    /** Writes {@code head} and then up to {@link #ENDLESS} bytes; completes with the count or the write's failure. */
    private static CompletableFuture<Long> writeInBackground(Socket socket, String head) {
        return CompletableFuture.supplyAsync(() -> {
            byte[] chunk = new byte[64 * 1024];
            long sent = 0;
            try {
                send(socket, head);
                while (sent < ENDLESS) {
                    socket.getOutputStream().write(chunk);
                    sent += chunk.length;
                }
                return sent;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).handle((sent, failure) -> {
            if (failure != null) {
                Throwable cause = failure.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : failure;
                throw new java.util.concurrent.CompletionException(cause);
            }
            return sent;
        });
    }

    /** The proxy closed its side: reading ends (after whatever was still on its way) before the read timeout. */
    private static void assertClosed(Socket socket) throws IOException {
        readToEnd(socket.getInputStream());
    }

}
