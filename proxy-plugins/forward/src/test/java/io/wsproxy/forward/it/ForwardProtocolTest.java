package io.wsproxy.forward.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.util.HeaderMap;
import io.undertow.websockets.core.WebSocketCallback;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.wsproxy.forward.ForwardOptions;
import io.wsproxy.forward.ForwardPlugin;
import io.wsproxy.spi.AccessLogEntry;
import io.wsproxy.spi.ProxyPlugin;
import io.wsproxy.testing.EchoBackend;
import io.wsproxy.testing.RawHttp;
import io.wsproxy.testing.Stall;
import io.wsproxy.testing.TestProxy;
import io.wsproxy.testing.TestTls;
import io.wsproxy.testing.WsClient;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forward protocol end to end: real upstream servers on port 0, the JDK's client, the core's proxy between
 * with its leak-detecting buffer pool (closing the proxy fails the test on a buffer the plugin never freed).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ForwardProtocolTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        Exception first = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception | AssertionError e) {
                if (first == null) {
                    first = e instanceof Exception ex ? ex : new Exception(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private <T extends AutoCloseable> T use(T resource) {
        resources.add(resource);
        return resource;
    }

    private Backend backend(Backend.Answer answer) {
        return use(new Backend(answer));
    }

    private EchoBackend echo() {
        return use(new EchoBackend());
    }

    private static String url(EchoBackend backend) {
        return backend.uri("/").toString();
    }

    private TestProxy proxy(Backend target, Map<String, Object> options) throws Exception {
        return proxy(target == null ? null : target.url(), options, "", new ForwardPlugin());
    }

    /**
     * One forward rule on {@code /}. YAML is a superset of JSON: the options go in as a JSON object, escapes and
     * all; {@code extra} is more of the rule's YAML.
     */
    private TestProxy proxy(String target, Map<String, Object> options, String extra, ProxyPlugin plugin)
            throws Exception {
        return use(TestProxy.start("  - name: forward-test\n"
                + "    pattern: \"^/\"\n"
                + (target == null ? "" : "    target: \"" + target + "\"\n")
                + "    plugin: forward\n"
                + "    options: " + JSON.writeValueAsString(options) + "\n"
                + extra, plugin));
    }

    private WsClient client(TestProxy proxy) throws Exception {
        return client(proxy, "/");
    }

    private WsClient client(TestProxy proxy, String path) throws Exception {
        return use(WsClient.connect(proxy.ws(path)));
    }

    private static Map<String, Object> allowLocal(Object... more) {
        Map<String, Object> options = new HashMap<>();
        options.put("allow", List.of("ws://127\\.0\\.0\\.1:\\d+(/.*)?"));
        for (int i = 0; i < more.length; i += 2) {
            options.put((String) more[i], more[i + 1]);
        }
        return options;
    }

    private static String forward(String url, String request) {
        return "{\"type\":\"forward\",\"url\":\"" + url + "\",\"request\":" + request + "}";
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    private static void assertError(String text, String url, int status) throws Exception {
        JsonNode e = json(text);
        assertEquals("forward", e.get("type").asText(), text);
        if (url == null) {
            assertTrue(e.get("url").isNull(), text);
        } else {
            assertEquals(url, e.get("url").asText(), text);
        }
        assertEquals(status, e.get("error").get("status").asInt(), text);
    }

    /** A TCP server that accepts and never answers: a WebSocket handshake to it never ends. */
    private String blackHole() throws Exception {
        ServerSocket socket = use(new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1")));
        Thread acceptor = new Thread(() -> {
            List<Socket> held = new ArrayList<>();
            try {
                while (true) {
                    held.add(socket.accept());
                }
            } catch (Exception e) {
                held.forEach(s -> {
                    try {
                        s.close();
                    } catch (Exception ignored) {
                    }
                });
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        return "ws://127.0.0.1:" + socket.getLocalPort() + "/";
    }

    @Test
    void aClientThatLeavesCancelsTheDialsUnderWay() throws Exception {
        ServerSocket silent = use(new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1")));
        silent.setSoTimeout(10_000);
        WsClient client = client(proxy(null, allowLocal("connectTimeout", "60s")));
        client.sendText("{\"type\":\"connect\",\"url\":\"ws://127.0.0.1:" + silent.getLocalPort() + "/\"}");
        try (Socket dialled = silent.accept()) {
            RawHttp.readHead(dialled.getInputStream()); // the upgrade request, which is never answered
            client.vanish();
            dialled.setSoTimeout(10_000);
            // at once, not when the 60 s connect timeout is up
            assertEquals(-1, dialled.getInputStream().read(), "the dial was left running");
        }
    }

    @Test
    void forwardsTheRequestAndWrapsTheReplyWithTheUrlAsWritten() throws Exception {
        Backend server = backend(Backend.ANSWER);
        WsClient client = client(proxy(null, allowLocal()));
        String url = server.url().replace("ws://", "http://");
        client.sendText(forward(url, "{ \"type\": \"request\", \"id\": 1 }"));
        assertEquals("{ \"type\": \"request\", \"id\": 1 }", server.next());
        assertEquals("{\"type\":\"forward\",\"url\":\"" + url + "\",\"forward\":"
                + "{\"type\":\"response\",\"got\":{ \"type\": \"request\", \"id\": 1 }}}", client.nextText());
    }

    @Test
    void clientsOverTheProxysTlsListenerAreServedAlike(@TempDir Path dir) throws Exception {
        Backend server = backend(Backend.ECHO);
        TestProxy proxy = use(TestProxy.startWithServer(TestTls.get().serverFields(dir), "  - name: forward-tls\n"
                + "    pattern: \"^/\"\n    plugin: forward\n    options: " + JSON.writeValueAsString(allowLocal()) + "\n",
                new ForwardPlugin()));
        WsClient client = use(WsClient.connect(proxy.wss("/"), TestTls.get().client()));
        // a burst of requests, then one message of many TLS records
        int count = 100;
        for (int i = 0; i < count; i++) {
            client.sendText(forward(server.url(), "{\"id\":" + i + "}"));
        }
        for (int i = 0; i < count; i++) {
            assertEquals("{\"type\":\"forward\",\"url\":\"" + server.url() + "\",\"forward\":{\"id\":" + i + "}}",
                    client.nextText());
        }
        String large = "\"" + "x".repeat(200_000) + "\"";
        client.sendText(forward(server.url(), large));
        assertEquals("{\"type\":\"forward\",\"url\":\"" + server.url() + "\",\"forward\":" + large + "}",
                client.nextText());
    }

    @Test
    void aRequestSentWithTheUpgradeRequestIsServed() throws Exception {
        // the client does not wait for the 101: its first message arrives in the same read as the request head
        Backend server = backend(Backend.ECHO);
        TestProxy proxy = proxy(null, allowLocal());
        String envelope = forward(server.url(), "{\"id\":1}");
        assertTrue(envelope.length() < 126, "a one-byte payload length");
        byte[] frame = new byte[6 + envelope.length()]; // FIN text, masked with a zero key: the payload as it is
        frame[0] = (byte) 0x81;
        frame[1] = (byte) (0x80 | envelope.length());
        System.arraycopy(envelope.getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, frame, 6, envelope.length());
        try (Socket socket = io.wsproxy.testing.RawHttp.connect(proxy)) {
            java.io.ByteArrayOutputStream upgrade = new java.io.ByteArrayOutputStream();
            upgrade.writeBytes(("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            upgrade.writeBytes(frame);
            socket.getOutputStream().write(upgrade.toByteArray()); // one write: the frame comes with the head
            java.io.InputStream in = socket.getInputStream();
            assertTrue(io.wsproxy.testing.RawHttp.readHead(in).startsWith("HTTP/1.1 101 "));
            String reply = "{\"type\":\"forward\",\"url\":\"" + server.url() + "\",\"forward\":{\"id\":1}}";
            byte[] head = in.readNBytes(2);
            assertEquals((byte) 0x81, head[0]);
            assertEquals(reply.length(), head[1]);
            assertEquals(reply, new String(in.readNBytes(reply.length()), java.nio.charset.StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aReplyThatIsNotJsonArrivesAsAString() throws Exception {
        Backend server = backend((b, ch, text) -> WebSockets.sendText("plain } text", ch, null));
        WsClient client = client(proxy(null, allowLocal()));
        client.sendText(forward(server.url(), "1"));
        assertEquals("plain } text", json(client.nextText()).get("forward").asText());
    }

    @Test
    void aReplyThatIsJsonOnlyReadAsAnotherEncodingArrivesAsAString() throws Exception {
        // UTF-8 texts that a byte-level JSON parser guessing the encoding takes for JSON: a byte order mark before
        // an object, and "{}" as UTF-16LE; embedded as they are, they would make the envelope not JSON
        for (String reply : new String[] {"\uFEFF{\"a\":1}", "{\u0000}\u0000"}) {
            Backend server = backend((b, ch, text) -> WebSockets.sendText(reply, ch, null));
            WsClient client = client(proxy(null, allowLocal()));
            client.sendText(forward(server.url(), "1"));
            assertEquals(reply, json(client.nextText()).get("forward").asText());
        }
    }

    @Test
    void oneUpstreamConnectionServesEveryRequestToTheSameUrl() throws Exception {
        Backend server = backend(Backend.ANSWER);
        WsClient client = client(proxy(null, allowLocal()));
        for (int i = 0; i < 5; i++) {
            client.sendText(forward(server.url(), "{\"n\":" + i + "}"));
        }
        for (int i = 0; i < 5; i++) {
            assertEquals(i, json(client.nextText()).get("forward").get("got").get("n").asInt());
        }
        assertEquals(1, server.connectionCount());
    }

    @Test
    void anUpstreamThatNeverAnswersDelaysNoOther() throws Exception {
        String silent = blackHole();
        Backend fast = backend(Backend.ANSWER);
        Backend target = backend(Backend.ECHO);
        WsClient client = client(proxy(target, allowLocal("connectTimeout", "10s")));
        for (int i = 0; i < 10; i++) {
            client.sendText(forward(silent, "{\"n\":" + i + "}"));
        }
        client.sendText(forward(fast.url(), "{\"fast\":true}"));
        client.sendText("{\"type\":\"request\",\"to\":\"target\"}");
        List<String> got = List.of(client.nextText(), client.nextText());
        assertTrue(got.contains("{\"type\":\"request\",\"to\":\"target\"}"), got.toString());
        assertTrue(got.stream().anyMatch(m -> m.contains("\"fast\":true")), got.toString());
    }

    @Test
    void otherMessagesGoToTheTargetAndBackUnchangedInOrder() throws Exception {
        Backend target = backend(Backend.ECHO);
        WsClient client = client(proxy(target, allowLocal()));
        for (int i = 0; i < 50; i++) {
            client.sendText("{\"type\":\"request\",\"n\":" + i + "}");
        }
        for (int i = 0; i < 50; i++) {
            assertEquals("{\"type\":\"request\",\"n\":" + i + "}", target.next());
            assertEquals("{\"type\":\"request\",\"n\":" + i + "}", client.nextText());
        }
    }

    @Test
    void selfForwardRunsOnTheTargetOverItsOwnConnectionWithoutDiallingTheProxy() throws Exception {
        Backend target = backend(Backend.ANSWER);
        TestProxy proxy = proxy(target, Map.of("self", List.of("https://proxy.example/")));
        WsClient client = client(proxy);
        client.sendText(forward("HTTPS://Proxy.example", "{\"type\":\"request\",\"id\":7}"));
        assertEquals("{\"type\":\"request\",\"id\":7}", target.next());
        JsonNode reply = json(client.nextText());
        assertEquals("HTTPS://Proxy.example", reply.get("url").asText());
        assertEquals(7, reply.get("forward").get("got").get("id").asInt());
        assertEquals(2, target.connectionCount(), "the main connection and the dedicated self connection");
        assertEquals(1, proxy.server().openSessions(), "a dial to ourselves would be a second session");
    }

    @Test
    void spellingsOfASelfUrlCannotOpenUnboundedTargetConnections() throws Exception {
        Backend target = backend(Backend.ANSWER);
        Backend server = backend(Backend.ANSWER);
        Map<String, Object> options = allowLocal("self", List.of("https://proxy.example/"), "maxUpstreams", 1);
        WsClient client = client(proxy(target, options));
        client.sendText(forward("https://proxy.example", "{\"n\":1}"));
        assertEquals(1, json(client.nextText()).get("forward").get("got").get("n").asInt());
        // the same self url spelled otherwise would be one more connection to the target
        client.sendText(forward("HTTPS://PROXY.example:443/", "{\"n\":2}"));
        assertError(client.nextText(), "HTTPS://PROXY.example:443/", 429);
        assertEquals(2, target.connectionCount(), "the main connection and one self connection");
        // self links are not forwarded servers: the one forwarded upstream allowed is still free
        client.sendText(forward(server.url(), "{\"n\":3}"));
        assertEquals(3, json(client.nextText()).get("forward").get("got").get("n").asInt());
    }

    @Test
    void pingGoesToTheTargetAndEveryOpenUpstream() throws Exception {
        Backend target = backend(Backend.SILENT);
        Backend a = backend((b, ch, text) -> WebSockets.sendText(
                text.contains("ping") ? "{\"type\":\"pong\",\"from\":\"a\"}" : "{\"ok\":1}", ch, null));
        Backend b = backend(Backend.SILENT);
        WsClient client = client(proxy(target, allowLocal()));
        client.sendText(forward(a.url(), "{}"));
        client.sendText(forward(b.url(), "{}"));
        a.next();
        b.next();
        client.nextText();
        client.sendText("{\"type\":\"ping\"}");
        assertEquals("{\"type\":\"ping\"}", target.next());
        assertEquals("{\"type\":\"ping\"}", a.next());
        assertEquals("{\"type\":\"ping\"}", b.next());
        JsonNode pong = json(client.nextText());
        assertEquals(a.url(), pong.get("url").asText());
        assertEquals("pong", pong.get("forward").get("type").asText());
    }

    @Test
    void anUpstreamClosedByItsServerClosesTheClientWith1014NamingIt() throws Exception {
        Backend server = backend(Backend.ANSWER);
        TestProxy logged = proxy(null, allowLocal(), "", new ForwardPlugin());
        WsClient client = client(logged);
        String url = server.url();
        client.sendText(forward(url, "{}"));
        client.nextText();
        server.closeConnections(1000, "done");
        long start = System.nanoTime();
        WsClient.Close closed = client.awaitClose();
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "closed only after 2 s");
        assertEquals(1014, closed.code());
        assertTrue(closed.reason().contains(url), closed.reason());
        AccessLogEntry entry = logged.nextAccessLog();
        assertEquals(1014, entry.closeCode());
        assertEquals("proxy", entry.closedBy());
        assertEquals("(forward hub)", entry.upstream());
        assertEquals("-", entry.upstreamAddress(), "no target, no connection to one");
    }

    @Test
    void eventModeReportsTheDisconnectAndReconnectsOnTheNextRequest() throws Exception {
        Backend server = backend(Backend.ANSWER);
        // one upstream at most: the lost one must no longer count, or the reconnect would be a 429
        WsClient client = client(proxy(null, allowLocal("onUpstreamClose", "event", "maxUpstreams", 1)));
        String url = server.url();
        client.sendText(forward(url, "{\"n\":1}"));
        client.nextText();
        server.closeConnections(1000, "done");
        assertEquals("{\"type\":\"event\",\"event\":{\"type\":\"disconnected\",\"url\":\"" + url + "\"}}",
                client.nextText());
        client.sendText(forward(url, "{\"n\":2}"));
        assertEquals(2, json(client.nextText()).get("forward").get("got").get("n").asInt());
        assertEquals(2, server.connectionCount());
        // a server that vanishes without a close frame is a disconnect too, and the next connect dials again
        server.dropConnections();
        assertEquals("{\"type\":\"event\",\"event\":{\"type\":\"disconnected\",\"url\":\"" + url + "\"}}",
                client.nextText());
        client.sendText("{\"type\":\"connect\",\"url\":\"" + url + "\"}");
        assertEquals("{\"type\":\"response\",\"response\":{\"status\":true}}", client.nextText());
        client.sendText(forward(url, "{\"n\":3}"));
        assertEquals(3, json(client.nextText()).get("forward").get("got").get("n").asInt());
        assertEquals(3, server.connectionCount());
    }

    @Test
    void clientCloseClosesEveryUpstream() throws Exception {
        Backend target = backend(Backend.SILENT);
        Backend a = backend(Backend.SILENT);
        Backend b = backend(Backend.SILENT);
        WsClient client = client(proxy(target, allowLocal()));
        client.sendText(forward(a.url(), "{}"));
        client.sendText(forward(b.url(), "{}"));
        a.next();
        b.next();
        client.close(1000, "bye");
        target.awaitClosed();
        a.awaitClosed();
        b.awaitClosed();
    }

    @Test
    void malformedMessagesGetA400AndTheConnectionGoesOn() throws Exception {
        Backend target = backend(Backend.ECHO);
        WsClient client = client(proxy(target, allowLocal()));
        client.sendText("not json");
        assertError(client.nextText(), null, 400);
        client.sendText("{\"type\":\"forward\",\"request\":{}}");
        assertError(client.nextText(), null, 400);
        client.sendText(forward("ftp://127.0.0.1/", "{}"));
        assertError(client.nextText(), "ftp://127.0.0.1/", 400);
        client.sendText(forward("ws://127.0.0.1:1/", "{\"type\":\"forward\",\"url\":\"ws://x\",\"request\":{}}"));
        assertError(client.nextText(), "ws://127.0.0.1:1/", 400);
        client.sendText("{} trailing");
        assertError(client.nextText(), null, 400);
        client.sendText("{\"type\":\"still-alive\"}");
        assertEquals("{\"type\":\"still-alive\"}", client.nextText());
    }

    @Test
    void aUrlOutsideTheAllowListIsRefusedWith403() throws Exception {
        Backend server = backend(Backend.ANSWER);
        WsClient client = client(proxy(null, Map.of("allow", List.of("wss://only\\.example"))));
        client.sendText(forward(server.url(), "{}"));
        assertError(client.nextText(), server.url(), 403);
        assertEquals(0, server.connectionCount());
    }

    @Test
    void withoutAnAllowListNothingIsForwarded() throws Exception {
        Backend server = backend(Backend.ANSWER);
        WsClient client = client(proxy(null, Map.of()));
        client.sendText(forward(server.url(), "{}"));
        assertError(client.nextText(), server.url(), 403);
    }

    @Test
    void tooManyUpstreamsIsA429() throws Exception {
        Backend a = backend(Backend.ANSWER);
        Backend b = backend(Backend.ANSWER);
        WsClient client = client(proxy(null, allowLocal("maxUpstreams", 1)));
        client.sendText(forward(a.url(), "{}"));
        client.nextText();
        client.sendText(forward(b.url(), "{}"));
        assertError(client.nextText(), b.url(), 429);
    }

    @Test
    void anUnreachableUpstreamIsA502() throws Exception {
        int closedPort = io.wsproxy.testing.ClosedPort.next();
        WsClient client = client(proxy(null, allowLocal()));
        String url = "ws://127.0.0.1:" + closedPort + "/";
        client.sendText(forward(url, "{}"));
        assertError(client.nextText(), url, 502);
    }

    @Test
    void aConnectTimeoutIsA504() throws Exception {
        String silent = blackHole();
        WsClient client = client(proxy(null, allowLocal("connectTimeout", "300ms")));
        client.sendText(forward(silent, "{}"));
        assertError(client.nextText(), silent, 504);
    }

    @Test
    void aFullSendQueueIsA503() throws Exception {
        String silent = blackHole();
        WsClient client = client(proxy(null, allowLocal("queueBytes", 100)));
        String request = "{\"pad\":\"" + "x".repeat(60) + "\"}";
        client.sendText(forward(silent, request));
        client.sendText(forward(silent, request));
        assertError(client.nextText(), silent, 503);
    }

    @Test
    void aHubWithoutTargetRefusesOtherMessages() throws Exception {
        WsClient client = client(proxy(null, allowLocal()));
        client.sendText("{\"type\":\"request\"}");
        assertError(client.nextText(), null, 400);
    }

    @Test
    void connectOpensAheadAndRefusesTwiceOrWhenNotAllowed() throws Exception {
        Backend server = backend(Backend.ANSWER);
        WsClient client = client(proxy(null, Map.of("allow", List.of("ws://127\\.0\\.0\\.1:" + server.url()
                .replaceAll(".*:(\\d+)/", "$1")))));
        client.sendText("{\"type\":\"connect\",\"url\":\"" + server.url() + "\"}");
        assertEquals("{\"type\":\"response\",\"response\":{\"status\":true}}", client.nextText());
        assertEquals(1, server.connectionCount());
        client.sendText("{\"type\":\"connect\",\"url\":\"" + server.url() + "\"}");
        assertEquals("{\"type\":\"response\",\"response\":{\"status\":false}}", client.nextText());
        client.sendText("{\"type\":\"connect\",\"url\":\"ws://127.0.0.1:1/\"}");
        assertEquals("{\"type\":\"response\",\"response\":{\"status\":false}}", client.nextText());
        client.sendText(forward(server.url(), "{}"));
        client.nextText();
        assertEquals(1, server.connectionCount());
        // answers come in order: a stray connect response would arrive before this error
        client.sendText("not json");
        assertError(client.nextText(), null, 400);
    }

    @Test
    void ruleHeadersAndChangeOriginApplyToForwardedHandshakes() throws Exception {
        EchoBackend target = echo();
        EchoBackend server = echo();
        TestProxy proxy = proxy(url(target), allowLocal(), """
                    changeOrigin: true
                    headers: { X-Proxy-Auth: secret }
                """, new ForwardPlugin());
        WsClient client = use(WsClient.connect(proxy.ws("/"), Map.of("Origin", "https://app.example",
                "Authorization", "Bearer client", "Cookie", "session=1"), List.of(), true));
        assertEquals("secret", target.nextHandshake().getFirst("X-Proxy-Auth"));
        String written = url(server).replace("ws://", "http://");
        client.sendText(forward(written, "{\"id\":1}"));
        assertEquals("{\"type\":\"forward\",\"url\":\"" + written + "\",\"forward\":{\"id\":1}}", client.nextText());
        HeaderMap seen = server.nextHandshake();
        assertEquals("secret", seen.getFirst("X-Proxy-Auth"));
        assertEquals("http://127.0.0.1:" + server.port(), seen.getFirst("Origin"), "the server's own origin");
        assertEquals("127.0.0.1:" + server.port(), seen.getFirst("Host"));
        // the client's credentials were meant for this rule's target, not for third parties
        assertNull(seen.getFirst("Authorization"));
        assertNull(seen.getFirst("Cookie"));
        assertTrue(seen.getFirst("Via").matches("1\\.1 wsproxy-[0-9a-f]{8} \\(r-[0-9a-f]{8}\\)"), seen.getFirst("Via"));
    }

    @Test
    void aHubThatLeadsBackToItselfIsRefusedAndOneThatLeadsToAnotherRuleIsNot() throws Exception {
        EchoBackend echo = echo();
        TestProxy proxy = use(TestProxy.start("""
                  - name: hub
                    pattern: "^/hub$"
                    plugin: forward
                    options: { allow: ["ws://127\\\\.0\\\\.0\\\\.1:\\\\d+(/.*)?"] }
                  - name: echo
                    pattern: "^/echo$"
                    target: "%s"
                    plugin: forward
                """.formatted(url(echo)), new ForwardPlugin()));
        WsClient client = client(proxy, "/hub");
        String hub = proxy.ws("/hub").toString();
        // each session of the hub could open 16 more of it (a connect inside the request), each its own target
        client.sendText(forward(hub, "{\"type\":\"connect\",\"url\":\"" + hub + "\"}"));
        JsonNode refused = json(client.nextText());
        assertTrue(refused.get("error").get("message").asText().contains("508"), refused.toString());
        assertEquals(508, proxy.nextHttpAccessLog().status());
        String relayed = proxy.ws("/echo").toString();
        client.sendText(forward(relayed, "{\"id\":1}"));
        assertEquals("{\"type\":\"forward\",\"url\":\"" + relayed + "\",\"forward\":{\"id\":1}}", client.nextText());
    }

    @Test
    void urlsThatCannotBeDialledAre400AndTheConnectionGoesOn() throws Exception {
        Backend server = backend(Backend.ECHO);
        WsClient client = client(proxy(null, allowLocal()));
        for (String bad : List.of("ws://127.0.0.1:99999/x", server.url() + "public/../admin")) {
            client.sendText(forward(bad, "{\"id\":0}"));
            assertError(client.nextText(), bad, 400);
        }
        client.sendText(forward(server.url() + "\\ud800", "{\"id\":0}")); // JSON's escape of a lone surrogate
        String refused = client.nextText(); // its url comes back with a ? for the surrogate, which UTF-8 cannot carry
        assertEquals(400, json(refused).get("error").get("status").asInt(), refused);
        client.sendText(forward(server.url(), "{\"id\":1}"));
        assertEquals("{\"type\":\"forward\",\"url\":\"" + server.url() + "\",\"forward\":{\"id\":1}}",
                client.nextText());
        assertEquals(1, server.connectionCount());
    }

    @Test
    void aUrlWithCharactersBeyondAsciiIsDialledWithThemPercentEncodedInUtf8() throws Exception {
        EchoBackend server = echo();
        WsClient client = client(proxy(null, allowLocal(), "", new ForwardPlugin()));
        String written = url(server) + "caf\u00e9/\u20ac?q=\u00fc";
        client.sendText(forward(written, "{\"id\":1}"));
        assertEquals("{\"type\":\"forward\",\"url\":\"" + written + "\",\"forward\":{\"id\":1}}", client.nextText());
        // as a browser's new WebSocket(url) sends it: the path and query as the URL means them, not Latin-1 or '?'
        assertEquals("/caf%C3%A9/%E2%82%AC?q=%C3%BC", server.nextHandshake().getFirst(":uri"));
    }

    @Test
    void withoutChangeOriginForwardedHandshakesCarryTheClientsOrigin() throws Exception {
        EchoBackend server = echo();
        TestProxy proxy = proxy(null, allowLocal(), "    headers: { X-Proxy-Auth: secret }\n", new ForwardPlugin());
        WsClient client = use(WsClient.connect(proxy.ws("/"), Map.of("Origin", "https://app.example"), List.of(), true));
        client.sendText(forward(url(server), "{}"));
        client.nextText();
        HeaderMap seen = server.nextHandshake();
        assertEquals("https://app.example", seen.getFirst("Origin"));
        assertEquals("secret", seen.getFirst("X-Proxy-Auth"));
    }

    @Test
    void binaryFromTheClientReachesTheTargetByteExact() throws Exception {
        EchoBackend target = echo();
        WsClient client = client(proxy(url(target), allowLocal(), "", new ForwardPlugin()));
        byte[] data = new byte[70_000];
        new Random(1).nextBytes(data);
        client.sendBinary(data);
        assertArrayEquals(data, client.nextBinary());
        client.sendText("{\"after\":\"binary\"}");
        assertEquals("{\"after\":\"binary\"}", client.nextText());
    }

    @Test
    void binaryToAHubWithoutTargetIsA400() throws Exception {
        WsClient client = client(proxy(null, allowLocal()));
        client.sendBinary(new byte[100]);
        assertError(client.nextText(), null, 400);
    }

    @Test
    void aClientThatStopsReadingStallsTheFloodingServerAndNothingElse() throws Exception {
        long total = 64L << 20;
        Backend flood = backend(Backend.FLOOD);
        Backend other = backend(Backend.ANSWER);
        TestProxy proxy = proxy(null, allowLocal());
        WsClient slow = use(WsClient.connect(proxy.ws("/"), Map.of(), List.of(), false));
        proxy.pool().resetMax();
        slow.sendText(forward(flood.url(), "{\"flood\":" + total + "}"));
        // the client reads nothing: the server's sends must stall well short of the total
        long stalled = Stall.await(flood::floodSent);
        assertTrue(stalled < total / 2, "the server sent " + stalled + " bytes to a client that reads nothing");
        // what waits for the client is held in pooled buffers: about the queue limit, and a few for reading
        long held = (long) proxy.pool().maxOutstanding() * proxy.pool().getBufferSize();
        long bound = ForwardOptions.DEFAULT_QUEUE_BYTES + 8L * proxy.pool().getBufferSize();
        assertTrue(held <= bound, "the proxy held " + held + " bytes of buffers for one slow reader");

        // the stalled client's own requests still go out: its reads never wait for its writes
        slow.sendText(forward(other.url(), "{\"still\":\"sending\"}"));
        assertEquals("{\"still\":\"sending\"}", other.next());
        // and another client of the same proxy is served at once
        WsClient fast = client(proxy);
        fast.sendText(forward(other.url(), "{\"n\":1}"));
        assertEquals(1, json(fast.nextText()).get("forward").get("got").get("n").asInt());

        String floodPrefix = "{\"type\":\"forward\",\"url\":\"" + flood.url() + "\",\"forward\":\"";
        long received = 0;
        while (received < total) {
            slow.request(1);
            String message = slow.nextText();
            if (message.startsWith(floodPrefix)) {
                received += Backend.FLOOD_MESSAGE_BYTES;
            }
        }
        assertEquals(total, received);
    }

    @Test
    void shutdownWaitsForAClientBehindOnItsServersRepliesToReadItsWayTo1001() throws Exception {
        // the 1001 is queued behind what the client has yet to read: shutdown must wait (within its grace) for the
        // client's connection to close, not only for the session to ask it to
        Backend flood = backend(Backend.FLOOD);
        TestProxy proxy = TestProxy.start("  - name: forward-test\n    pattern: \"^/\"\n    plugin: forward\n"
                + "    options: " + JSON.writeValueAsString(allowLocal()) + "\n", new ForwardPlugin());
        WsClient slow = use(WsClient.connect(proxy.ws("/"), Map.of(), List.of(), false));
        slow.sendText(forward(flood.url(), "{\"flood\":" + (64L << 20) + "}"));
        Stall.await(flood::floodSent);
        Thread stop = new Thread(() -> proxy.server().stop(java.time.Duration.ofSeconds(30)));
        stop.start();
        assertEquals(1001, proxy.nextAccessLog().closeCode()); // the session has asked the client to close
        WsClient.Event event;
        do {
            slow.request(1);
            event = slow.next();
        } while (event instanceof WsClient.Text);
        assertEquals(new WsClient.Close(1001, "proxy shutting down"), event);
        stop.join(30_000);
        proxy.pool().assertNoLeaks(java.time.Duration.ofSeconds(5));
    }

    @Test
    void aClientThatNeverReadsTheProxysRepliesIsClosedWith1008() throws Exception {
        long queueBytes = 64 * 1024;
        TestProxy proxy = proxy(null, Map.of("allow", List.of("wss://only\\.example"), "queueBytes", queueBytes));
        WsClient deaf = use(WsClient.connect(proxy.ws("/"), Map.of(), List.of(), false));
        proxy.pool().resetMax();
        // each request names a url of 60 KB that is not allowed: each 403 repeats it, for a client that reads nothing
        String refused = forward("ws://" + "x".repeat(60_000) + ".example/", "{}");
        try {
            for (int i = 0; i < 400; i++) {
                deaf.sendText(refused);
            }
        } catch (Exception closedMeanwhile) {
            // the proxy gave up on this client and closed its socket while it was still sending
        }
        long held = (long) proxy.pool().maxOutstanding() * proxy.pool().getBufferSize();
        assertTrue(held <= 2 * queueBytes + 2 * 60_000 + 8L * proxy.pool().getBufferSize(),
                "the proxy held " + held + " bytes of buffers for a client that reads nothing");
        deaf.request(Long.MAX_VALUE);
        int replies = 0;
        WsClient.Event event;
        while ((event = deaf.next()) instanceof WsClient.Text) {
            replies++;
        }
        assertEquals(new WsClient.Close(1008, "client does not read the proxy's replies"), event);
        assertTrue(replies < 400, replies + " replies");
    }

    @Test
    void aClientBehindOnItsServersRepliesIsNotTakenForOneThatIgnoresTheProxys() throws Exception {
        long queueBytes = 16 * 1024;
        Backend flood = backend(Backend.FLOOD);
        CountDownLatch answered = new CountDownLatch(1);
        String reply = "\"" + "y".repeat(60_000) + "\"";
        Backend server = backend((b, ch, text) -> WebSockets.sendText(reply, ch,
                new WebSocketCallback<Void>() {
                    @Override
                    public void complete(WebSocketChannel c, Void context) {
                        answered.countDown();
                    }

                    @Override
                    public void onError(WebSocketChannel c, Void context, Throwable e) {
                    }
                }));
        TestProxy proxy = proxy(null, allowLocal("queueBytes", queueBytes));
        WsClient slow = use(WsClient.connect(proxy.ws("/"), Map.of(), List.of(), false));
        // the client is behind: its socket is full, and the flooding server paused
        slow.sendText(forward(flood.url(), "{\"flood\":" + (64L << 20) + "}"));
        Stall.await(flood::floodSent);
        // one more server's reply of 60 KB waits for it: what is queued for the client is now past twice the queue
        slow.sendText(forward(server.url(), "{}"));
        assertTrue(answered.await(10, TimeUnit.SECONDS));
        // the first reply of the proxy's own: one 400, nothing piled up
        slow.sendText("not json");
        slow.request(Long.MAX_VALUE);
        WsClient.Event event;
        while ((event = slow.next()) instanceof WsClient.Text text && !text.text().contains("\"error\"")) {
            // the flood and the reply, read at last
        }
        assertTrue(event instanceof WsClient.Text, "instead of the 400: " + event);
        assertError(((WsClient.Text) event).text(), null, 400);
    }

    @Test
    void aClientGoneWhileTheRuleTargetIsDialledHasTheDialDropped() throws Exception {
        try (io.wsproxy.testing.BlackHole down = io.wsproxy.testing.BlackHole.open("127.0.0.1", 0)) {
            TestProxy proxy = proxy("ws://127.0.0.1:" + down.port(), allowLocal("connectTimeout", "60s"), "",
                    new ForwardPlugin());
            Socket client = io.wsproxy.testing.RawHttp.connect(proxy);
            io.wsproxy.testing.RawHttp.send(client, io.wsproxy.testing.RawHttp.upgradeRequest("/"));
            io.wsproxy.testing.KernelSockets.awaitConnecting(down.port(), 1);

            client.close();

            // without the client, the connect is dropped, not held for 60 s
            io.wsproxy.testing.KernelSockets.awaitConnecting(down.port(), 0);
            assertEquals(499, proxy.nextHttpAccessLog().status());
        }
    }

    @Test
    void anAccessLogLineIsWrittenWhenTheClientCloses() throws Exception {
        EchoBackend target = echo();
        Backend server = backend(Backend.ANSWER);
        TestProxy logged = proxy(url(target), allowLocal(), "", new ForwardPlugin());
        WsClient client = client(logged);
        String toTarget = "{\"type\":\"request\",\"name\":\"é\"}";
        client.sendText(toTarget);
        assertEquals(toTarget, client.nextText());
        String envelope = forward(server.url(), "{}");
        client.sendText(envelope);
        client.nextText();
        client.sendBinary(new byte[10]);
        client.nextBinary();
        client.close(1000, "bye");
        AccessLogEntry entry = logged.nextAccessLog();
        assertEquals("forward-test", entry.rule());
        assertEquals(url(target), entry.upstream());
        assertEquals("127.0.0.1:" + target.port(), entry.upstreamAddress(), "where the connection went");
        assertEquals(1000, entry.closeCode());
        assertEquals("client", entry.closedBy());
        assertEquals(utf8(toTarget) + utf8(envelope) + 10, entry.bytesFromClient(), "bytes the client sent");
        assertEquals(utf8(toTarget) + utf8("{\"type\":\"response\",\"got\":{}}") + 10, entry.bytesFromUpstream(),
                "bytes the target and the server sent");
        assertTrue(entry.clientAddress().matches("127\\.0\\.0\\.1:\\d+"), entry.clientAddress());
    }

    private static long utf8(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    @Test
    void aMessageOfExactlyMaxMessageBytesPassesAndOneByteMoreCloses1009() throws Exception {
        int max = 1000;
        EchoBackend target = echo();
        TestProxy proxy = proxy(url(target), allowLocal("maxMessageBytes", max), "", new ForwardPlugin());
        WsClient client = client(proxy);
        // two-byte characters: the limit counts bytes, not characters
        String exact = padded(max);
        assertTrue(exact.length() < max);
        client.sendText(exact);
        assertEquals(exact, client.nextText());
        client.sendText(padded(max + 1));
        assertEquals(1009, client.awaitClose().code());

        WsClient binary = client(proxy);
        binary.sendBinary(new byte[max]);
        assertEquals(max, binary.nextBinary().length);
        binary.sendBinary(new byte[max + 1]);
        assertEquals(1009, binary.awaitClose().code());
    }

    @Test
    void aForwardedServersMessageOverMaxMessageBytesClosesThatServerAndTheClientHearsWhich() throws Exception {
        int max = 1000;
        // answers {"size":N} with a JSON string of exactly N bytes
        Backend server = backend((b, ch, text) -> WebSockets.sendText(
                "\"" + "x".repeat(Integer.parseInt(text.replaceAll("\\D", "")) - 2) + "\"", ch, null));
        WsClient client = client(proxy(null, allowLocal("maxMessageBytes", max)));
        client.sendText(forward(server.url(), "{\"size\":" + max + "}"));
        assertEquals(max - 2, json(client.nextText()).get("forward").asText().length(), "exactly the limit passes");
        client.sendText(forward(server.url(), "{\"size\":" + (max + 1) + "}"));
        WsClient.Close closed = client.awaitClose();
        assertEquals(1014, closed.code());
        assertTrue(closed.reason().contains(server.url()), closed.reason());
        server.awaitClosed();
    }

    /** {@code {"pad":"éé…xx…"}} of exactly {@code bytes} UTF-8 bytes. */
    private static String padded(int bytes) {
        String text = "{\"pad\":\"" + "é".repeat(10) + "x".repeat(bytes - 30) + "\"}";
        assertEquals(bytes, utf8(text));
        return text;
    }

    @Test
    void theTargetsCloseReachesTheClientAndTheLogNamesTheTarget() throws Exception {
        Backend target = backend((b, ch, text) -> WebSockets.sendClose(4000, "target done", ch, null));
        Backend server = backend(Backend.SILENT);
        TestProxy logged = proxy(target.url(), allowLocal(), "", new ForwardPlugin());
        WsClient client = client(logged);
        client.sendText(forward(server.url(), "{}"));
        server.next();
        client.sendText("{\"type\":\"bye\"}");
        WsClient.Close closed = client.awaitClose();
        assertEquals(4000, closed.code());
        assertEquals("target done", closed.reason());
        server.awaitClosed();
        AccessLogEntry entry = logged.nextAccessLog();
        assertEquals(4000, entry.closeCode());
        assertEquals("upstream", entry.closedBy());
    }
}
