package io.wsproxy.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.wsproxy.testing.LoopbackWireMock;
import io.wsproxy.testing.RawHttp;
import io.wsproxy.testing.TestProxy;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Plain HTTP through the proxy to a WireMock backend. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpForwardingTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private WireMockServer backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        backend = LoopbackWireMock.start();
        backend.stubFor(any(urlPathMatching("/api/.*")).willReturn(aResponse().withStatus(200)
                .withHeader("X-Backend", "yes").withHeader("Keep-Alive", "timeout=5").withBody("from backend")));
        proxy = TestProxy.start("""
                  - name: api
                    pattern: "^/gateway(/.*)$"
                    target: "http://127.0.0.1:%d/api"
                    rewrite: "$1"
                    changeOrigin: true
                    headers: { X-Proxy-Auth: secret }
                    ws: false
                """.formatted(backend.port()));
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.stop();
    }

    @Test
    void everyMethodIsProxiedWithRewriteAndQuery() throws Exception {
        for (String method : List.of("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(proxy.http("/gateway/users?id=7&q=a%20b"))
                    .method(method, HttpRequest.BodyPublishers.ofString("body-" + method)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), method);
            assertEquals("from backend", response.body());
            assertEquals("yes", response.headers().firstValue("X-Backend").orElse(null));
            assertTrue(response.headers().firstValue("Keep-Alive").isEmpty(), "hop-by-hop header relayed");
        }
        List<LoggedRequest> seen = backend.findAll(anyRequestedFor(urlPathMatching("/api/users")));
        assertEquals(6, seen.size());
        LoggedRequest post = seen.get(1);
        assertEquals("POST", post.getMethod().getName());
        assertEquals("/api/users?id=7&q=a%20b", post.getUrl());
        assertEquals("body-POST", post.getBodyAsString());
        assertEquals("secret", post.getHeader("X-Proxy-Auth"));
        assertEquals("127.0.0.1:" + backend.port(), post.getHeader("Host"));
        assertEquals("127.0.0.1", post.getHeader("X-Forwarded-For"));
        String via = post.getHeader("Via");
        assertTrue(via.matches("1\\.1 wsproxy-[0-9a-f]{8} \\(r-[0-9a-f]{8}\\)"), via);
        assertEquals("http", post.getHeader("X-Forwarded-Proto"));
        assertEquals("127.0.0.1:" + proxy.server().port(), post.getHeader("X-Forwarded-Host"));
    }

    @Test
    void charactersBrowsersSendUnescapedPassAsTheyCame() throws Exception {
        // WHATWG URLs leave { } | ^ ` \ raw in a query (GraphQL over GET, JSON filters); nginx passes them on
        String target = "/gateway/search/a|b?q={\"a\":[1,2]}|x^y`z\\w";
        try (java.net.Socket client = io.wsproxy.testing.RawHttp.connect(proxy)) {
            io.wsproxy.testing.RawHttp.send(client, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            String answer = io.wsproxy.testing.RawHttp.readToEnd(client.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        }
        LoggedRequest seen = backend.findAll(anyRequestedFor(urlPathMatching("/api/search/.*"))).get(0);
        assertEquals("/api/search/a|b?q={\"a\":[1,2]}|x^y`z\\w", seen.getUrl());
        assertEquals("/gateway/search/a|b", proxy.nextHttpAccessLog().path());
    }

    @Test
    void aRequestTargetWithControlOrNonAsciiBytesIs400AndLogged() throws Exception {
        for (String target : List.of("/gateway/a?x=\u0001", "/gateway/a?x=\u007f", "/gateway/\u00e9", "/gateway/a#b")) {
            try (java.net.Socket client = io.wsproxy.testing.RawHttp.connect(proxy)) {
                client.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                String answer = io.wsproxy.testing.RawHttp.readToEnd(client.getInputStream());
                assertTrue(answer.startsWith("HTTP/1.1 400 "), target + ": " + answer);
                assertEquals(400, proxy.nextHttpAccessLog().status(), target);
            }
        }
        assertEquals(0, backend.findAll(anyRequestedFor(urlPathMatching("/api/.*"))).size());
    }

    @Test
    void connectIs501AndEndsTheConnection() throws Exception {
        for (String target : List.of("/gateway/a", "example.com:443")) {
            try (java.net.Socket client = io.wsproxy.testing.RawHttp.connect(proxy)) {
                // what follows would be the tunnel's bytes to a proxy that took it: not a request to serve
                String request = "CONNECT " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /gateway/users HTTP/1.1\r\nHost: x\r\n\r\n";
                client.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                String answer = io.wsproxy.testing.RawHttp.readToEnd(client.getInputStream());
                assertTrue(answer.startsWith("HTTP/1.1 501 "), target + ": " + answer);
                assertFalse(answer.substring(1).contains("HTTP/1.1 "), "the bytes after it were served: " + answer);
                assertEquals(501, proxy.nextHttpAccessLog().status(), target);
            }
        }
        assertEquals(0, backend.findAll(anyRequestedFor(urlPathMatching("/.*"))).size());
    }

    @Test
    void aPathThatARulesPatternCannotMatchInTimeIs500AndTheThreadServesOn() throws Exception {
        try (TestProxy careless = TestProxy.start("""
                  - name: careless
                    pattern: "^/api/(.*)/(.*)/(.*)/x$"
                    target: "http://127.0.0.1:%d"
                    ws: false
                  - name: rest
                    pattern: "^/"
                    target: "http://127.0.0.1:%d/api"
                    ws: false
                """.formatted(backend.port(), backend.port()))) {
            try (java.net.Socket client = io.wsproxy.testing.RawHttp.connect(careless)) {
                io.wsproxy.testing.RawHttp.send(client, "GET /api/" + "/".repeat(3000) + "y HTTP/1.1\r\nHost: x\r\n"
                        + "Connection: close\r\n\r\n");
                String answer = io.wsproxy.testing.RawHttp.readToEnd(client.getInputStream());
                assertTrue(answer.startsWith("HTTP/1.1 500 "), answer);
                assertTrue(answer.contains("rule 'careless' could not be matched"), answer);
            }
            HttpAccessLogEntry logged = careless.nextHttpAccessLog();
            assertEquals("careless", logged.rule());
            assertEquals(500, logged.status());
            assertEquals(200, http.send(HttpRequest.newBuilder(careless.http("/users")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    @Test
    void largeBodiesStreamBothWays() throws Exception {
        byte[] upload = new byte[8 << 20];
        new Random(3).nextBytes(upload);
        backend.stubFor(com.github.tomakehurst.wiremock.client.WireMock.post("/api/echo")
                .willReturn(aResponse().withStatus(201).withBody(upload)));
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(proxy.http("/gateway/echo"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(201, response.statusCode());
        assertArrayEquals(upload, response.body());
        assertArrayEquals(upload, backend.findAll(anyRequestedFor(urlPathMatching("/api/echo"))).get(0).getBody());
        assertTrue(proxy.pool().maxOutstanding() < 64, "bodies were buffered: " + proxy.pool().maxOutstanding() + " buffers");
    }

    @Test
    void upgradeOnAWsFalseRuleIsPlainHttp() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(proxy.http("/gateway/socket"))
                .header("X-Test", "1").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        try (var socket = new java.net.Socket("127.0.0.1", proxy.server().port())) {
            socket.getOutputStream().write(("GET /gateway/socket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes());
            String status = new String(socket.getInputStream().readNBytes(12));
            assertEquals("HTTP/1.1 200", status);
        }
        LoggedRequest seen = backend.findAll(anyRequestedFor(urlPathMatching("/api/socket"))).get(1);
        assertFalse(seen.containsHeader("Upgrade"), "Upgrade reached the backend of a ws: false rule");
    }

    @Test
    void statusesPassThrough() throws Exception {
        backend.stubFor(get("/api/missing").willReturn(aResponse().withStatus(404).withBody("nope")));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(proxy.http("/gateway/missing")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, response.statusCode());
        assertEquals("nope", response.body());
    }

    @Test
    void noRuleIs404WithJson() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(proxy.http("/nowhere?x=1")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(null));
        assertTrue(response.body().contains("\"path\":\"/nowhere\""), response.body());
        HttpAccessLogEntry logged = proxy.nextHttpAccessLog();
        assertEquals("-", logged.rule());
        assertEquals(404, logged.status());
        assertEquals("/nowhere", logged.path());
    }

    @Test
    void unreachableTargetIs502() throws Exception {
        try (TestProxy dead = proxyToAClosedPort()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(dead.http("/x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(502, response.statusCode());
            assertTrue(response.body().contains("cannot reach"), response.body());
            HttpAccessLogEntry logged = dead.nextHttpAccessLog();
            assertEquals(502, logged.status());
            assertEquals(HttpAccessLogEntry.COMPLETE, logged.outcome());
        }
    }

    @Test
    void slowTargetIs504() throws Exception {
        backend.stubFor(get("/api/slow").willReturn(aResponse().withFixedDelay(3000).withBody("late")));
        try (TestProxy impatient = TestProxy.startWithServer("responseTimeout: 300ms", """
                  - name: api
                    pattern: "^/"
                    target: "http://127.0.0.1:%d/api"
                    ws: false
                """.formatted(backend.port()))) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(impatient.http("/slow")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(504, response.statusCode());
            assertTrue(response.body().contains("no response"), response.body());
        }
    }

    @Test
    void anHttp10RequestWithoutHostReachesTheTargetWithTheTargetsHost() throws Exception {
        backend.stubFor(get("/old").willReturn(aResponse().withStatus(200).withBody("fine")));
        try (TestProxy plain = TestProxy.start("""
                  - name: api
                    pattern: "^/"
                    target: "http://127.0.0.1:%d"
                    ws: false
                """.formatted(backend.port()));
             Socket client = RawHttp.connect(plain)) {
            // HTTP/1.0 has no Host; the request goes up as HTTP/1.1, which must have one (RFC 9112 3.2)
            RawHttp.send(client, "GET /old HTTP/1.0\r\n\r\n");
            String answer = RawHttp.readToEnd(client.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.0 200 "), answer);
        }
        LoggedRequest seen = backend.findAll(anyRequestedFor(urlPathMatching("/old"))).get(0);
        assertEquals("127.0.0.1:" + backend.port(), seen.getHeader("Host"));
    }

    @Test
    void headersOnTheRuleReplaceTheClients() throws Exception {
        http.send(HttpRequest.newBuilder(proxy.http("/gateway/h")).header("X-Proxy-Auth", "forged").build(),
                HttpResponse.BodyHandlers.ofString());
        LoggedRequest seen = backend.findAll(anyRequestedFor(urlPathMatching("/api/h"))).get(0);
        assertEquals(List.of("secret"), seen.getHeaders().getHeader("X-Proxy-Auth").values());
        assertNull(seen.getHeader("Sec-WebSocket-Key"));
        backend.verify(com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor(urlPathMatching("/api/h"))
                .withHeader("X-Proxy-Auth", equalTo("secret")));
    }

    @Test
    void anXForwardedForChainOnSeveralLinesIsKeptWhole() throws Exception {
        try (Socket client = RawHttp.connect(proxy)) {
            // RFC 9110 5.3: as one comma-separated list; proxies before us may each have added a line
            RawHttp.send(client, "GET /gateway/chain HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 203.0.113.1\r\n"
                    + "X-Forwarded-For: 198.51.100.2, 192.0.2.3\r\nConnection: close\r\n\r\n");
            RawHttp.readToEnd(client.getInputStream());
        }
        LoggedRequest seen = backend.findAll(anyRequestedFor(urlPathMatching("/api/chain"))).get(0);
        assertEquals(List.of("203.0.113.1, 198.51.100.2, 192.0.2.3, 127.0.0.1"),
                seen.getHeaders().getHeader("X-Forwarded-For").values());
    }

    @Test
    void aRequestInATransferCodingOtherThanChunkedIs501AndGoesNoFurther() throws Exception {
        try (Socket client = RawHttp.connect(proxy)) {
            // Undertow reads any coding as chunked, and Transfer-Encoding stops here: the target would take the
            // still gzipped bytes for the body (RFC 9112 6.1: 501 for a coding the server does not understand)
            RawHttp.send(client, "POST /gateway/coded HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\n\r\n");
            String answer = RawHttp.readToEnd(client.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 501 "), answer);
            assertTrue(answer.contains("gzip, chunked"), answer);
        }
        assertEquals(501, proxy.nextHttpAccessLog().status());
        assertTrue(backend.findAll(anyRequestedFor(urlPathMatching("/api/coded"))).isEmpty());
    }

    @Test
    void aClientExpecting100ContinueIsAskedForItsBody() throws Exception {
        try (Socket client = RawHttp.connect(proxy)) {
            RawHttp.send(client, "POST /gateway/upload HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                    + "Content-Length: 5\r\n\r\n");
            InputStream in = client.getInputStream();
            assertEquals("HTTP/1.1 100 Continue\r\n\r\n", RawHttp.readHead(in));
            RawHttp.send(client, "hello");
            String answer = RawHttp.readHead(in);
            assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        }
        LoggedRequest seen = backend.findAll(anyRequestedFor(urlPathMatching("/api/upload"))).get(0);
        assertEquals("hello", seen.getBodyAsString());
        assertNull(seen.getHeader("Expect"), "the proxy asked for the body itself");
    }

    @Test
    void anUnreachableTargetIsAnsweredBeforeTheBodyIsAskedFor() throws Exception {
        try (TestProxy dead = proxyToAClosedPort();
             Socket client = RawHttp.connect(dead)) {
            RawHttp.send(client, "POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            String answer = RawHttp.readHead(client.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 502 "), answer);
        }
    }

    @Test
    void eachRequestLogsOneAccessLineWithoutItsQuery() throws Exception {
        http.send(HttpRequest.newBuilder(proxy.http("/gateway/users%0Aforged?token=hidden"))
                .POST(HttpRequest.BodyPublishers.ofString("abc")).build(), HttpResponse.BodyHandlers.ofString());
        HttpAccessLogEntry logged = proxy.nextHttpAccessLog();
        assertEquals("api", logged.rule());
        assertEquals("POST", logged.method());
        assertEquals("/gateway/users%0Aforged", logged.path(), "as sent: a decoded newline would forge a line");
        assertEquals("http://127.0.0.1:" + backend.port() + "/api", logged.upstream());
        assertEquals("127.0.0.1:" + backend.port(), logged.upstreamAddress(), "where the connection went");
        assertTrue(logged.clientAddress().matches("127\\.0\\.0\\.1:\\d+"), logged.clientAddress());
        assertEquals(200, logged.status());
        assertEquals(3, logged.bytesFromClient());
        assertEquals("from backend".length(), logged.bytesToClient());
        assertEquals(HttpAccessLogEntry.COMPLETE, logged.outcome());
    }

    @Test
    void requestsWithBodiesKeepTheConnectionForTheNextOnesEvenPipelined() throws Exception {
        backend.stubFor(any(urlPathMatching("/api/(one|two|three)")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Length", "2").withBody("ok")));
        try (Socket client = RawHttp.connect(proxy)) {
            RawHttp.send(client, "POST /gateway/one HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                    + "POST /gateway/two HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
                    + "GET /gateway/three HTTP/1.1\r\nHost: a\r\n\r\n");
            InputStream in = client.getInputStream();
            for (int i = 0; i < 3; i++) {
                String head = RawHttp.readHead(in);
                assertTrue(head.startsWith("HTTP/1.1 200 "), head);
                assertTrue(head.contains("Content-Length: 2\r\n"), head);
                assertEquals("ok", new String(in.readNBytes(2), java.nio.charset.StandardCharsets.US_ASCII));
            }
        }
        assertEquals("abc", backend.findAll(anyRequestedFor(urlPathMatching("/api/one"))).get(0).getBodyAsString());
        assertEquals("xy", backend.findAll(anyRequestedFor(urlPathMatching("/api/two"))).get(0).getBodyAsString());
        assertEquals(1, backend.findAll(anyRequestedFor(urlPathMatching("/api/three"))).size());
    }

    /** A proxy whose one rule targets a port nobody listens on. */
    @Test
    void aRuleLeadingBackToTheProxyIsA508NotALoop() throws Exception {
        proxy.reload("""
                  - name: itself
                    pattern: "^/"
                    target: "http://127.0.0.1:%d"
                    ws: false
                """.formatted(proxy.server().port()));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(proxy.http("/x"))
                .header("Via", "1.0 an-earlier-proxy").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(508, response.statusCode(), response.body());
        assertTrue(response.body().contains("already passed through this proxy"), response.body());
        // the second pass answered at once and the first relayed that (without the check, the chain went on until
        // a header limit answered 400, thousands of connections later)
        assertEquals(508, proxy.nextHttpAccessLog().status());
        assertEquals(508, proxy.nextHttpAccessLog().status());
    }

    @Test
    void aRuleLeadingToAnotherRuleOfTheProxyIsAChainNotALoop() throws Exception {
        proxy.reload("""
                  - name: front
                    pattern: "^/front"
                    rewrite: "/back"
                    target: "http://127.0.0.1:%d"
                    ws: false
                  - name: back
                    pattern: "^/back"
                    rewrite: "/api"
                    target: "http://127.0.0.1:%d"
                    ws: false
                """.formatted(proxy.server().port(), backend.port()));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(proxy.http("/front/users")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        String via = String.join(", ", backend.findAll(anyRequestedFor(urlPathMatching("/api/users"))).get(0)
                .getHeaders().getHeader("Via").values());
        // both rules' entries, this process's pseudonym in each, each rule's own tag
        String entry = "1\\.1 wsproxy-[0-9a-f]{8} \\(r-[0-9a-f]{8}\\)";
        assertTrue(via.matches(entry + ", " + entry), via);
        String[] entries = via.split(", ");
        assertEquals(entries[0].substring(0, 17), entries[1].substring(0, 17), via);
        assertNotEquals(entries[0], entries[1], via);
    }

    @Test
    void aRequestThatPassedThisProxyManyTimesIsALoopEvenWithoutViaComments() throws Exception {
        http.send(HttpRequest.newBuilder(proxy.http("/gateway/users")).build(), HttpResponse.BodyHandlers.ofString());
        String ours = backend.findAll(anyRequestedFor(urlPathMatching("/api/users"))).get(0).getHeader("Via");
        String pseudonym = ours.substring(0, ours.indexOf(" ("));  // "1.1 wsproxy-1a2b3c4d", its comment dropped
        HttpResponse<String> seven = http.send(HttpRequest.newBuilder(proxy.http("/gateway/users"))
                .header("Via", String.join(", ", java.util.Collections.nCopies(7, pseudonym))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, seven.statusCode(), "a chain through other rules");
        HttpResponse<String> eight = http.send(HttpRequest.newBuilder(proxy.http("/gateway/users"))
                .header("Via", String.join(", ", java.util.Collections.nCopies(8, pseudonym))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(508, eight.statusCode(), eight.body());
    }

    @Test
    void anIpv6ClientIsForwardedForAsItIsWritten() throws Exception {
        try (TestProxy v6 = TestProxy.startWithServer("host: \"::1\"", """
                  - name: api
                    pattern: "^/"
                    target: "http://127.0.0.1:%d/api"
                    ws: false
                """.formatted(backend.port()))) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://[::1]:" + v6.server().port() + "/v6")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            // as nginx's $remote_addr and the access log write it, so that allow-lists comparing text match
            assertEquals("::1", backend.findAll(anyRequestedFor(urlPathMatching("/api/v6"))).get(0)
                    .getHeader("X-Forwarded-For"));
        }
    }

    @Test
    void anotherProxysViaIsNotALoop() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(proxy.http("/gateway/users"))
                .header("Via", "1.1 wsproxy-00000000, 1.1 cache").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        LoggedRequest seen = backend.findAll(anyRequestedFor(urlPathMatching("/api/users"))).get(0);
        assertTrue(seen.getHeader("Via").startsWith("1.1 wsproxy-00000000, 1.1 cache"), seen.getHeader("Via"));
    }

    private static TestProxy proxyToAClosedPort() throws Exception {
        int closedPort = io.wsproxy.testing.ClosedPort.next();
        return TestProxy.start("""
                  - name: dead
                    pattern: "^/"
                    target: "http://127.0.0.1:%d"
                    ws: false
                """.formatted(closedPort));
    }
}
