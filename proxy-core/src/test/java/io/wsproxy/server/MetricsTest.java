package io.wsproxy.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.wsproxy.testing.ClosedPort;
import io.wsproxy.testing.LoopbackWireMock;
import io.wsproxy.testing.TestProxy;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code server.metricsPath}: the access log's entries counted, in Prometheus' text format, ahead of the rules. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private WireMockServer backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        backend = LoopbackWireMock.start();
        backend.stubFor(any(urlPathMatching("/.*")).willReturn(aResponse().withStatus(200).withBody("12345")));
        proxy = TestProxy.startWithServer("metricsPath: /wsproxy/metrics", """
                  - name: "api \\"v1\\""
                    pattern: "^/api(/.*)$"
                    target: "http://127.0.0.1:%d"
                    rewrite: "$1"
                    ws: false
                  - name: dead
                    pattern: "^/dead$"
                    target: "http://127.0.0.1:%d"
                    ws: false
                  - name: everything
                    pattern: "^/"
                    target: "http://127.0.0.1:%d"
                    ws: false
                """.formatted(backend.port(), ClosedPort.next(), backend.port()));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.stop();
    }

    @Test
    void requestsAreCountedByRuleStatusAndOutcome() throws Exception {
        for (int i = 0; i < 3; i++) {
            send("POST", "/api/x", "abc");
            proxy.nextHttpAccessLog(); // logged, so counted
        }
        String metrics = send("GET", "/wsproxy/metrics", null).body();
        assertTrue(metrics.contains("\n# TYPE wsproxy_http_requests_total counter\n"), metrics);
        assertTrue(metrics.contains("\nwsproxy_http_requests_total{rule=\"api \\\"v1\\\"\",status=\"200\","
                + "outcome=\"complete\"} 3\n"), metrics);
        assertTrue(metrics.contains("\nwsproxy_bytes_total{kind=\"http\",rule=\"api \\\"v1\\\"\",direction=\"from_client\"} 9\n"),
                metrics);
        assertTrue(metrics.contains("\nwsproxy_bytes_total{kind=\"http\",rule=\"api \\\"v1\\\"\",direction=\"to_client\"} 15\n"),
                metrics);
        assertTrue(metrics.contains("\nwsproxy_websocket_sessions_open 0\n"), metrics);
        assertTrue(!metrics.contains("rule=\"everything\""), "the metrics path is not the catch-all rule's: " + metrics);
    }

    @Test
    void failedConnectsToATargetAreCounted() throws Exception {
        String before = send("GET", "/wsproxy/metrics", null).body();
        assertTrue(before.contains("\nwsproxy_upstream_connect_failures_total 0\n"), before);

        assertEquals(502, send("GET", "/dead", null).statusCode());
        proxy.nextHttpAccessLog();

        String after = send("GET", "/wsproxy/metrics", null).body();
        assertTrue(after.contains("\n# TYPE wsproxy_upstream_connect_failures_total counter\n"), after);
        assertTrue(after.contains("\nwsproxy_upstream_connect_failures_total 1\n"), after);
    }

    @Test
    void onlyGetAndHeadReadTheMetrics() throws Exception {
        HttpResponse<String> response = send("POST", "/wsproxy/metrics", "x");
        assertEquals(405, response.statusCode());
        assertEquals("GET, HEAD", response.headers().firstValue("Allow").orElse(null));
        HttpResponse<String> read = send("GET", "/wsproxy/metrics", null);
        assertEquals(200, read.statusCode());
        assertTrue(read.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(proxy.http(path)).method(method, body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
