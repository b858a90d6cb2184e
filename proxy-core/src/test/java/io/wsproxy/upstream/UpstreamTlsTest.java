package io.wsproxy.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.undertow.util.HeaderMap;
import io.wsproxy.spi.UpstreamException;
import io.wsproxy.testing.EchoBackend;
import io.wsproxy.testing.LeakDetectingPool;
import io.wsproxy.testing.RecordingListener;
import io.wsproxy.testing.TestProxy;
import io.wsproxy.testing.TestTls;
import io.wsproxy.websocket.WebSocketConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xnio.OptionMap;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

/** TLS to wss:// and https:// targets: trusted certificates work, and a certificate for another host does not. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamTlsTest {
    private EchoBackend backend;

    @BeforeEach
    void start() throws Exception {
        backend = new EchoBackend(Set.of(), TestTls.get().server());
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    @Test
    void messagesGoBothWaysOverTlsAndTheHostNameIsChecked() throws Exception {
        Xnio xnio = Xnio.getInstance();
        XnioWorker worker = xnio.createWorker(OptionMap.EMPTY);
        LeakDetectingPool pool = new LeakDetectingPool(16 * 1024);
        try {
            WebSocketDialer dialer = wssDialer(xnio, pool, TestTls.get().client());
            WebSocketConnection connection = dialer.dial(URI.create("wss://localhost:" + backend.port() + "/"),
                    new HeaderMap(), worker.getIoThread(), Duration.ofSeconds(5)).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            RecordingListener recorder = new RecordingListener();
            // more than one TLS record each way: what the TLS layer holds must be read without a readiness event
            byte[] big = "0123456789abcdef".repeat(4096).getBytes(StandardCharsets.UTF_8);
            connection.ioThread().execute(() -> {
                connection.start(recorder, 1 << 20);
                connection.sendText("hello".getBytes(StandardCharsets.UTF_8), 0, 5);
                connection.sendBinary(big, 0, big.length);
            });
            assertEquals("hello", recorder.next().asText());
            assertArrayEquals(big, recorder.next().data());
            connection.ioThread().execute(() -> connection.close(1000, "done"));
            assertEquals(new RecordingListener.Closed(1000, "done"), recorder.awaitClosed());
            pool.assertNoLeaks(Duration.ofSeconds(5));
            // the certificate names localhost only: the same server by address must be refused
            ExecutionException e = assertThrows(ExecutionException.class, () -> dialer.dial(
                    URI.create("wss://127.0.0.1:" + backend.port() + "/"), new HeaderMap(), worker.getIoThread(),
                    Duration.ofSeconds(5))
                    .toCompletableFuture().get(10, TimeUnit.SECONDS));
            assertEquals(502, assertInstanceOf(UpstreamException.class, e.getCause()).status());
        } finally {
            worker.shutdownNow();
        }
    }

    @Test
    void aCertificateRefusedByTheProxyIsNamedAsSuchNotAsTheTargetClosing() throws Exception {
        Xnio xnio = Xnio.getInstance();
        XnioWorker worker = xnio.createWorker(OptionMap.EMPTY);
        LeakDetectingPool pool = new LeakDetectingPool(16 * 1024);
        try {
            // the JVM's trust store does not know the test's self-signed certificate
            WebSocketDialer dialer = wssDialer(xnio, pool, null);
            ExecutionException e = assertThrows(ExecutionException.class, () -> dialer.dial(
                    URI.create("wss://localhost:" + backend.port() + "/"), new HeaderMap(), worker.getIoThread(),
                    Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS));
            UpstreamException failure = assertInstanceOf(UpstreamException.class, e.getCause());
            assertEquals(502, failure.status());
            assertTrue(failure.getMessage().contains(
                    "TLS handshake with the upstream failed: its certificate was refused"), failure.getMessage());
            pool.assertNoLeaks(Duration.ofSeconds(5));
        } finally {
            worker.shutdownNow();
        }
    }

    /** TLS 1.2 ends the client's handshake on an unwrap, TLS 1.3 on a wrap: the dial hands over after either. */
    @Test
    void targetsSpeakingOnlyTls12AreProxied() throws Exception {
        javax.net.ssl.SSLContext tls12 = TestTls.get().clientOf("TLSv1.2");
        try (TestProxy proxy = TestProxy.startWithTls(tls12, """
                  - name: good
                    pattern: "^/good(/.*)$"
                    target: "https://localhost:%d"
                    rewrite: "$1"
                    ws: false
                """.formatted(backend.port()))) {
            HttpClient http = HttpClient.newHttpClient();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> good = http.send(HttpRequest.newBuilder(proxy.http("/good/status/202")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(202, good.statusCode(), good.body());
            }
        }
        Xnio xnio = Xnio.getInstance();
        XnioWorker worker = xnio.createWorker(OptionMap.EMPTY);
        LeakDetectingPool pool = new LeakDetectingPool(16 * 1024);
        try {
            WebSocketDialer dialer = wssDialer(xnio, pool, tls12);
            WebSocketConnection connection = dialer.dial(URI.create("wss://localhost:" + backend.port() + "/"),
                    new HeaderMap(), worker.getIoThread(), Duration.ofSeconds(5)).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            CompletableFuture.runAsync(connection::abort, worker.getIoThread()).get(10, TimeUnit.SECONDS);
            pool.assertNoLeaks(Duration.ofSeconds(5));
        } finally {
            worker.shutdownNow();
        }
    }

    @Test
    void aTargetWhoseTlsStallsIsA504WithinTheConnectTimeoutAndNamesTheHandshake() throws Exception {
        // it takes the TCP connection and never answers the ClientHello: the dial has not ended with the connect
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             TestProxy proxy = TestProxy.startWithServer("connectTimeout: 500ms, responseTimeout: 60s", """
                  - name: stalled
                    pattern: "^/"
                    target: "https://127.0.0.1:%d"
                    ws: false
                """.formatted(silent.getLocalPort()))) {
            Thread holder = new Thread(() -> {
                try (java.net.Socket held = silent.accept()) {
                    held.getInputStream().readAllBytes(); // until the proxy gives up and closes
                } catch (java.io.IOException ignored) {
                    // the test is over
                }
            });
            holder.setDaemon(true);
            holder.start();
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(proxy.http("/x")).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(504, response.statusCode(), response.body());
            assertTrue(response.body().contains("timed out"), response.body()); // the connect's, not the response's
            holder.join(10_000);
            assertFalse(holder.isAlive(), "the stalled connection was left open");
        }
    }

    @Test
    void httpsTargetsAreProxiedAndChecked() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (TestProxy proxy = TestProxy.startWithTls(TestTls.get().client(), """
                  - name: good
                    pattern: "^/good(/.*)$"
                    target: "https://localhost:%1$d"
                    rewrite: "$1"
                    ws: false
                  - name: wrong-name
                    pattern: "^/bad(/.*)$"
                    target: "https://127.0.0.1:%1$d"
                    rewrite: "$1"
                    ws: false
                """.formatted(backend.port()))) {
            HttpResponse<String> good = http.send(HttpRequest.newBuilder(proxy.http("/good/status/202")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(202, good.statusCode());
            assertEquals("plain", good.body());
            // bodies of many TLS records each way: what the TLS layer holds is read without a readiness event
            byte[] body = new byte[3 << 19]; // under the backend's own 2 MiB limit
            new java.util.Random(5).nextBytes(body);
            HttpResponse<byte[]> echoed = http.send(HttpRequest.newBuilder(proxy.http("/good/echo-body"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, echoed.statusCode());
            org.junit.jupiter.api.Assertions.assertArrayEquals(body, echoed.body());
            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(proxy.http("/bad/status/202")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(502, bad.statusCode());
            // the proxy refused the target's certificate: not "ClosedChannelException", as the socket's end read
            assertTrue(bad.body().contains("certificate was refused"), bad.body());
        }
    }

    /** The core's WebSocket dialer over TLS trusting {@code trust} (null: the JVM's trust store). */
    private static WebSocketDialer wssDialer(Xnio xnio, LeakDetectingPool pool, javax.net.ssl.SSLContext trust) {
        UpstreamDialer tcp = new UpstreamDialer(pool, new UpstreamTls(xnio, trust), OptionMap.EMPTY);
        return new WebSocketDialer(new RawUpgradeDialer(tcp, pool), pool);
    }
}
