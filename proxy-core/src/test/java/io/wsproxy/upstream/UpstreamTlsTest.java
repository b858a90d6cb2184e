package io.wsproxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.undertow.util.HeaderMap;
import io.undertow.websockets.core.WebSocketChannel;
import io.wsproxy.spi.UpstreamException;
import io.wsproxy.testing.EchoBackend;
import io.wsproxy.testing.LeakDetectingPool;
import io.wsproxy.testing.TestProxy;
import io.wsproxy.testing.TestTls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xnio.IoUtils;
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
    void framedDialChecksTheHostName() throws Exception {
        Xnio xnio = Xnio.getInstance();
        XnioWorker worker = xnio.createWorker(OptionMap.EMPTY);
        LeakDetectingPool pool = new LeakDetectingPool(16 * 1024);
        try {
            UpstreamDialer tcp = new UpstreamDialer(pool, new UpstreamTls(xnio, TestTls.get().client()), OptionMap.EMPTY);
            WebSocketDialer dialer = new WebSocketDialer(new RawUpgradeDialer(tcp, pool), pool);
            WebSocketChannel channel = dialer.dial(URI.create("wss://localhost:" + backend.port() + "/"), new HeaderMap(),
                    worker.getIoThread(), Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertTrue(channel.isOpen());
            assertTrue(channel.isClient());
            IoUtils.safeClose(channel);
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
            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(proxy.http("/bad/status/202")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(502, bad.statusCode());
        }
    }
}
