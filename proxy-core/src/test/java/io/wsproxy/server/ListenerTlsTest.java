package io.wsproxy.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.wsproxy.config.ConfigException;
import io.wsproxy.testing.LoopbackWireMock;
import io.wsproxy.testing.RawHttp;
import io.wsproxy.testing.TestProxy;
import io.wsproxy.testing.TestTls;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code server.tls}: clients reach the proxy over https://, and what is not TLS, or stalls in it, is closed. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ListenerTlsTest {
    private static final String RULES = """
              - name: api
                pattern: "^/api/.*"
                target: "http://127.0.0.1:%d"
                ws: false
            """;

    @TempDir
    Path dir;

    private WireMockServer backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        backend = LoopbackWireMock.start();
        backend.stubFor(any(urlPathMatching("/api/.*")).willReturn(aResponse().withStatus(200).withBody("from backend")));
        proxy = TestProxy.startWithServer(TestTls.get().serverFields(dir) + ", keepAliveTimeout: 500ms, metricsPath: /metrics",
                RULES.formatted(backend.port()));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.stop();
    }

    private static HttpClient trusting(SSLContext client) {
        return HttpClient.newBuilder().sslContext(client).build();
    }

    @Test
    void httpsRequestsAreForwardedToAPlainTargetAsHttpsForwarded() throws Exception {
        HttpClient client = trusting(TestTls.get().client());
        assertEquals("from backend", client.send(HttpRequest.newBuilder(proxy.https("/api/a")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        // a body of many TLS records each way, through the proxy's body transfer on top of TLS
        byte[] body = new byte[3 << 20];
        Arrays.fill(body, (byte) 'x');
        HttpResponse<String> posted = client.send(HttpRequest.newBuilder(proxy.https("/api/upload"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, posted.statusCode());
        List<LoggedRequest> seen = backend.findAll(postRequestedFor(urlPathEqualTo("/api/upload")));
        assertEquals(body.length, seen.get(0).getBody().length);
        assertEquals("https", seen.get(0).getHeader("X-Forwarded-Proto"));
    }

    @Test
    void plainHttpOnTheTlsPortIsAnswered400AndTheListenerCarriesOn() throws Exception {
        try (Socket socket = RawHttp.connect(proxy)) {
            RawHttp.send(socket, "GET /api/a HTTP/1.1\r\nHost: x\r\n\r\n");
            String answer = RawHttp.readToEnd(socket.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 400 Bad Request\r\n"), answer);
            assertTrue(answer.endsWith("\r\n\r\nThis port speaks TLS only: use https:// or wss:// in the URL.\n"), answer);
        }
        assertEquals(0, backend.getAllServeEvents().size());
        assertEquals(200, trusting(TestTls.get().client()).send(HttpRequest.newBuilder(proxy.https("/api/a")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    void aClientThatStallsInTheHandshakeIsClosedAfterTheKeepAliveTimeout() throws Exception {
        // nothing at all, and half a ClientHello record: both hold a connection only for keepAliveTimeout (500 ms)
        for (byte[] sent : List.of(new byte[0], new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01})) {
            try (Socket socket = RawHttp.connect(proxy)) {
                long start = System.nanoTime();
                socket.getOutputStream().write(sent);
                assertEquals(-1, readUntilEnd(socket.getInputStream()));
                assertTrue(RawHttp.millisSince(start) < RawHttp.READ_TIMEOUT_MS / 2, "closed late");
            }
        }
    }

    @Test
    void aReloadPresentsTheRenewedCertificateToNewConnections() throws Exception {
        TestTls renewed = TestTls.generate();
        renewed.writePem(dir); // the same paths, as a renewal leaves them
        proxy.reload(RULES.formatted(backend.port()));
        assertEquals(200, trusting(renewed.client()).send(HttpRequest.newBuilder(proxy.https("/api/a")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        IOException old = assertThrows(IOException.class, () -> trusting(TestTls.get().client()).send(
                HttpRequest.newBuilder(proxy.https("/api/a")).build(), HttpResponse.BodyHandlers.ofString()));
        assertInstanceOf(SSLHandshakeException.class, old, old.toString());

        // a key file broken meanwhile: the reload is refused and the certificate in use stays
        Files.writeString(dir.resolve("localhost.key"), "broken");
        ConfigException e = assertThrows(ConfigException.class, () -> proxy.reload(RULES.formatted(backend.port())));
        assertEquals("server.tls.key", e.field());
        assertEquals(200, trusting(renewed.client()).send(HttpRequest.newBuilder(proxy.https("/api/a")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    void everyHandshakesOutcomeIsCounted() throws Exception {
        // completed, then closed by the client: a completed handshake, not a failed one
        try (SSLSocket tls = (SSLSocket) TestTls.get().client().getSocketFactory().createSocket("localhost",
                proxy.server().port())) {
            tls.setSoTimeout(RawHttp.READ_TIMEOUT_MS);
            tls.startHandshake();
            tls.shutdownOutput();
            assertEquals(-1, tls.getInputStream().read()); // the proxy has closed its end
        }
        HttpClient client = trusting(TestTls.get().client());
        assertEquals(0, handshakes(metrics(client), "failed"));
        assertThrows(SSLHandshakeException.class, () -> trusting(TestTls.generate().client()).send(
                HttpRequest.newBuilder(proxy.https("/api/a")).build(), HttpResponse.BodyHandlers.ofString()));
        try (Socket socket = RawHttp.connect(proxy)) {
            RawHttp.send(socket, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.readToEnd(socket.getInputStream());
        }
        try (Socket silent = RawHttp.connect(proxy)) {
            assertEquals(-1, readUntilEnd(silent.getInputStream())); // closed at keepAliveTimeout, and not counted
        }
        // the refused handshake is counted when the proxy closes its socket, which the client need not wait for
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        String metrics;
        do {
            metrics = metrics(client);
        } while (handshakes(metrics, "failed") == 0 && System.nanoTime() < deadline);
        assertEquals(1, handshakes(metrics, "failed"), metrics);
        assertEquals(1, handshakes(metrics, "plain_http"), metrics);
        // the SSLSocket's and this client's (more if a slow machine let keepAliveTimeout close this one between reads)
        assertTrue(handshakes(metrics, "completed") >= 2, metrics);
    }

    private String metrics(HttpClient client) throws Exception {
        return client.send(HttpRequest.newBuilder(proxy.https("/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private static long handshakes(String metrics, String outcome) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "(?m)^wsproxy_tls_handshakes_total\\{outcome=\"" + outcome + "\"} (\\d+)$").matcher(metrics);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Reads and drops whatever comes (a TLS alert, say) until the end; fails on the read timeout. */
    private static int readUntilEnd(InputStream in) throws IOException {
        byte[] buf = new byte[1024];
        int n;
        while ((n = in.read(buf)) > 0) {
            // discard
        }
        return n;
    }
}
