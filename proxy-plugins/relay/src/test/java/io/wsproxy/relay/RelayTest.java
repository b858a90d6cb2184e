package io.wsproxy.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.undertow.util.HeaderMap;
import io.wsproxy.testing.EchoBackend;
import io.wsproxy.testing.KernelSockets;
import io.wsproxy.testing.LeakDetectingPool;
import io.wsproxy.testing.Stall;
import io.wsproxy.testing.TestProxy;
import io.wsproxy.testing.WsClient;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The relay through a running proxy, with a real Undertow backend and the JDK's WebSocket client. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RelayTest {
    private EchoBackend backend;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new EchoBackend(Set.of("chat.v2", "chat.v1"));
        proxy = TestProxy.start(rule("echo", "^/ws(/.*)?$", "ws://127.0.0.1:" + backend.port(), "$1", ""), new RelayPlugin());
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        backend.close();
    }

    static String rule(String name, String pattern, String target, String rewrite, String extra) {
        return "  - name: " + name + "\n    pattern: \"" + pattern + "\"\n    target: \"" + target + "\"\n"
                + (rewrite.isEmpty() ? "" : "    rewrite: \"" + rewrite + "\"\n") + extra;
    }

    @Test
    void theUpstreamSocketUsesTcpKeepAlive() throws Exception {
        try (WsClient client = WsClient.connect(proxy.ws("/ws/chat"))) {
            client.sendText("hello");
            assertEquals("hello", client.nextText());
            KernelSockets.Timer timer = KernelSockets.timer(0, backend.port());
            assertEquals(KernelSockets.KEEP_ALIVE_TIMER, timer.kind(), "the proxy's upstream socket has no keep-alive");
        }
    }

    @Test
    void echoText() throws Exception {
        try (WsClient client = WsClient.connect(proxy.ws("/ws/chat"))) {
            client.sendText("hello");
            assertEquals("hello", client.nextText());
            client.sendText("héllo wörld ✓");
            assertEquals("héllo wörld ✓", client.nextText());
        }
    }

    @Test
    void echoBinaryByteExact() throws Exception {
        byte[] data = new byte[70_000];
        new Random(1).nextBytes(data);
        try (WsClient client = WsClient.connect(proxy.ws("/ws"))) {
            client.sendBinary(data);
            assertArrayEquals(data, client.nextBinary());
        }
    }

    @Test
    void largeMessageOf16MiB() throws Exception {
        byte[] data = new byte[16 << 20];
        new Random(2).nextBytes(data);
        try (WsClient client = WsClient.connect(proxy.ws("/ws"))) {
            client.sendBinary(data);
            assertArrayEquals(data, client.nextBinary());
        }
    }

    @Test
    void manyMessagesKeepTheirOrder() throws Exception {
        try (WsClient client = WsClient.connect(proxy.ws("/ws"))) {
            for (int i = 0; i < 500; i++) {
                client.sendText("m" + i); // the JDK client takes one send at a time; replies queue up meanwhile
            }
            for (int i = 0; i < 500; i++) {
                assertEquals("m" + i, client.nextText());
            }
        }
    }

    @Test
    void subprotocolChosenByTheTarget() throws Exception {
        try (WsClient client = WsClient.connect(proxy.ws("/ws"), Map.of(), List.of("chat.v3", "chat.v1"), true)) {
            assertEquals("chat.v1", client.subprotocol());
            HeaderMap seen = backend.nextHandshake();
            assertEquals("chat.v3, chat.v1", seen.getFirst("Sec-WebSocket-Protocol"));
        }
    }

    @Test
    void pathRewrittenAndQueryKept() throws Exception {
        try (WsClient client = WsClient.connect(proxy.ws("/ws/room/1?token=a%20b&x=1"))) {
            assertEquals("/room/1?token=a%20b&x=1", backend.nextHandshake().getFirst(":uri"));
        }
    }

    @Test
    void aQueryWithCharactersBrowsersLeaveUnescapedReachesTheTargetEscaped() throws Exception {
        // the target's URI is built as a java.net.URI, which holds { " | only escaped: the same query to a server
        try (java.net.Socket client = io.wsproxy.testing.RawHttp.connect(proxy)) {
            io.wsproxy.testing.RawHttp.send(client, io.wsproxy.testing.RawHttp.upgradeRequest("/ws/room/1?f={\"a\":[1]}|x"));
            String head = io.wsproxy.testing.RawHttp.readHead(client.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 101 "), head);
            assertEquals("/room/1?f=%7B%22a%22:%5B1%5D%7D%7Cx", backend.nextHandshake().getFirst(":uri"));
        }
    }

    @Test
    void clientHeadersPassAndForwardedForIsAdded() throws Exception {
        try (WsClient client = WsClient.connect(proxy.ws("/ws"), Map.of("Authorization", "Bearer t", "Cookie", "a=1",
                "X-Forwarded-For", "10.0.0.9"), List.of(), true)) {
            HeaderMap seen = backend.nextHandshake();
            assertEquals("Bearer t", seen.getFirst("Authorization"));
            assertEquals("a=1", seen.getFirst("Cookie"));
            assertEquals("10.0.0.9, 127.0.0.1", seen.getFirst("X-Forwarded-For"));
            assertEquals("http", seen.getFirst("X-Forwarded-Proto"));
            assertEquals("127.0.0.1:" + proxy.server().port(), seen.getFirst("X-Forwarded-Host"));
            assertEquals("127.0.0.1:" + proxy.server().port(), seen.getFirst("Host"));
        }
    }

    @Test
    void customHeadersAndChangeOrigin() throws Exception {
        String target = "ws://127.0.0.1:" + backend.port();
        try (TestProxy custom = TestProxy.start(rule("custom", "^/", target, "", """
                    changeOrigin: true
                    headers: { X-Proxy-Auth: secret, Authorization: replaced }
                """), new RelayPlugin());
             WsClient client = WsClient.connect(custom.ws("/"), Map.of("Origin", "https://app.example",
                     "Authorization", "Bearer client"), List.of(), true)) {
            HeaderMap seen = backend.nextHandshake();
            assertEquals("secret", seen.getFirst("X-Proxy-Auth"));
            assertEquals("replaced", seen.getFirst("Authorization"));
            assertEquals("127.0.0.1:" + backend.port(), seen.getFirst("Host"));
            assertEquals(target, seen.getFirst("Origin"));
        }
    }

    @Test
    void extensionsNegotiatedEndToEnd() throws Exception {
        // the JDK client offers no extensions; a raw offer shows the target's answer reaches the client untouched
        try (var socket = rawUpgrade(proxy, "/ws", "Sec-WebSocket-Extensions: permessage-deflate\r\n")) {
            String head = readHead(socket);
            assertTrue(head.startsWith("HTTP/1.1 101"), head);
            assertTrue(head.toLowerCase().contains("sec-websocket-extensions: permessage-deflate"), head);
            assertTrue(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), head);
        }
    }

    /**
     * A socket that sent an upgrade request for {@code path} with RFC 6455's sample key (a target answering it sends
     * Sec-WebSocket-Accept s3pPLMBiTxaQ9kYGzzhZRbK+xOo=) and {@code moreHeaders}, each ending in CRLF.
     */
    private static java.net.Socket rawUpgrade(TestProxy proxy, String path, String moreHeaders)
            throws java.io.IOException {
        var socket = new java.net.Socket("127.0.0.1", proxy.server().port());
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n" + moreHeaders + "\r\n").getBytes());
        return socket;
    }

    private static String readHead(java.net.Socket socket) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        var in = socket.getInputStream();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        return head.toString();
    }

    @Test
    void pingsAndPongsPass() throws Exception {
        try (WsClient client = WsClient.connect(proxy.ws("/ws"))) {
            client.socket().sendPing(ByteBuffer.wrap(new byte[] {1, 2, 3})).get(10, TimeUnit.SECONDS);
            WsClient.Event event = client.next();
            assertInstanceOf(WsClient.Pong.class, event);
            assertArrayEquals(new byte[] {1, 2, 3}, ((WsClient.Pong) event).data());
        }
    }

    @Test
    void clientCloseCodeReachesTarget() throws Exception {
        try (WsClient client = WsClient.connect(proxy.ws("/ws"))) {
            client.close(4001, "bye");
            assertEquals(new EchoBackend.Closed(4001, "bye"), backend.nextClose());
            assertEquals(new WsClient.Close(4001, "bye"), client.awaitClose());
        }
    }

    @Test
    void accessLogSaysWhoClosedWithWhatAndHowMuchMoved() throws Exception {
        try (WsClient client = WsClient.connect(proxy.ws("/ws/room?x=1"))) {
            client.sendText("0123456789");
            client.nextText();
            client.close(4001, "bye");
            client.awaitClose();
        }
        io.wsproxy.spi.AccessLogEntry entry = proxy.nextAccessLog();
        assertEquals("echo", entry.rule());
        assertEquals("ws://127.0.0.1:" + backend.port() + "/room?x=1", entry.upstream());
        assertEquals("127.0.0.1:" + backend.port(), entry.upstreamAddress(), "where the connection went");
        assertTrue(entry.clientAddress().matches("127\\.0\\.0\\.1:\\d+"), entry.clientAddress());
        assertEquals(4001, entry.closeCode());
        assertEquals("client", entry.closedBy());
        // 10 payload bytes plus a masked frame header each way, plus the close frames
        assertTrue(entry.bytesFromClient() >= 16 + 9, entry.toString());
        assertTrue(entry.bytesFromUpstream() >= 12 + 5, entry.toString());
    }

    @Test
    void accessLogNamesAVanishedSide() throws Exception {
        try (WsClient client = WsClient.connect(proxy.ws("/ws"))) {
            client.sendText("vanish");
            client.awaitClose();
        }
        io.wsproxy.spi.AccessLogEntry entry = proxy.nextAccessLog();
        assertEquals(1006, entry.closeCode());
        assertEquals("upstream", entry.closedBy());
    }

    @Test
    void targetCloseCodeReachesClient() throws Exception {
        try (WsClient client = WsClient.connect(proxy.ws("/ws"))) {
            client.sendText("close:4002:server says bye");
            assertEquals(new WsClient.Close(4002, "server says bye"), client.awaitClose());
        }
    }

    @Test
    void clientVanishesTargetGets1001() throws Exception {
        WsClient client = WsClient.connect(proxy.ws("/ws"));
        client.sendText("x");
        client.nextText();
        client.vanish();
        assertEquals(1001, backend.nextClose().code());
    }

    @Test
    void targetVanishesClientGets1014() throws Exception {
        try (WsClient client = WsClient.connect(proxy.ws("/ws"))) {
            client.sendText("vanish");
            WsClient.Close close = client.awaitClose();
            assertEquals(1014, close.code(), close.toString());
        }
    }

    @Test
    void unreachableTargetIs502() throws Exception {
        int closedPort = io.wsproxy.testing.ClosedPort.next();
        try (TestProxy dead = TestProxy.start(rule("dead", "^/", "ws://127.0.0.1:" + closedPort, "", ""), new RelayPlugin())) {
            assertEquals(502, WsClient.handshakeStatus(dead.ws("/")));
        }
    }

    @Test
    void aRefusedUpgradeIsAnsweredAndClosedEvenWithFramesSentTooEarly() throws Exception {
        // RFC 6455 has the client wait for the 101 before it sends frames; one that does not must still get the
        // refusal, not a 400 for its frame bytes read as the next HTTP request
        int closedPort = io.wsproxy.testing.ClosedPort.next();
        try (TestProxy dead = TestProxy.start(rule("dead", "^/", "ws://127.0.0.1:" + closedPort, "", ""), new RelayPlugin());
             java.net.Socket client = io.wsproxy.testing.RawHttp.connect(dead)) {
            io.wsproxy.testing.RawHttp.send(client, io.wsproxy.testing.RawHttp.upgradeRequest("/")
                    + "\u0081\u0085abcd\u0009\u0007\u000f\u0008\u000e");
            String answer = io.wsproxy.testing.RawHttp.readToEnd(client.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 502 "), answer);
            assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("\r\nconnection: close\r\n"), answer);
        }
    }

    @Test
    void aKeyThatIsNot16BytesInBase64IsRefused400() throws Exception {
        // RFC 6455 4.2.1: a server finding no valid key answers 400; the target may not check, so the proxy does
        for (String keys : List.of("Sec-WebSocket-Key: abc\r\n", "Sec-WebSocket-Key: not base64 at all!!!!\r\n",
                "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAAA\r\n",
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n")) {
            try (java.net.Socket client = io.wsproxy.testing.RawHttp.connect(proxy)) {
                io.wsproxy.testing.RawHttp.send(client, io.wsproxy.testing.RawHttp.upgradeRequest("GET /ws HTTP/1.1", keys));
                String answer = io.wsproxy.testing.RawHttp.readToEnd(client.getInputStream());
                assertTrue(answer.startsWith("HTTP/1.1 400 "), keys + " answered " + answer);
                assertTrue(answer.contains("Sec-WebSocket-Key"), answer);
            }
        }
    }

    @Test
    void anUpgradeOverHttp10IsPlainHttp() throws Exception {
        // HTTP/1.0 has no Upgrade (RFC 9110 7.8: ignored); a 101 there was followed by the connection's close
        try (java.net.Socket client = io.wsproxy.testing.RawHttp.connect(proxy)) {
            io.wsproxy.testing.RawHttp.send(client, io.wsproxy.testing.RawHttp.upgradeRequest("GET /ws/status/200 HTTP/1.0",
                    "Sec-WebSocket-Key: " + io.wsproxy.testing.RawHttp.KEY + "\r\n"));
            String answer = io.wsproxy.testing.RawHttp.readToEnd(client.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.0 200 "), answer);
            assertTrue(answer.endsWith("\r\n\r\nplain"), answer);
        }
    }

    @Test
    void aFrameSentWithTheUpgradeRequestIsRelayed() throws Exception {
        // the client does not wait for the 101: its frame arrives in the same read as the request head
        try (java.net.Socket client = io.wsproxy.testing.RawHttp.connect(proxy)) {
            io.wsproxy.testing.RawHttp.send(client, io.wsproxy.testing.RawHttp.upgradeRequest("/ws")
                    + "\u0081\u0085abcd\u0009\u0007\u000f\u0008\u000e");
            java.io.InputStream in = client.getInputStream();
            assertTrue(io.wsproxy.testing.RawHttp.readHead(in).startsWith("HTTP/1.1 101 "));
            assertArrayEquals(new byte[] {(byte) 0x81, 5, 'h', 'e', 'l', 'l', 'o'}, in.readNBytes(7));
        }
    }

    @Test
    void aFrameTheTargetSendsWithIts101IsRelayed() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             TestProxy eager = TestProxy.start(rule("eager", "^/", "ws://127.0.0.1:" + target.getLocalPort(), "", ""),
                     new RelayPlugin())) {
            io.wsproxy.testing.RawHttp.answerUpgradeOnce(target, key -> "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + io.wsproxy.upstream.WebSocketKeys.accept(key) + "\r\n\r\n\u0081\u0005early");
            try (WsClient client = WsClient.connect(eager.ws("/"))) {
                assertEquals("early", client.nextText());
            }
        }
    }

    @Test
    void interimAnswersBeforeThe101AreSkipped() throws Exception {
        // RFC 9110 15.2: a client takes any number of 1xx before the final answer (103 Early Hints, 100 Continue)
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             TestProxy eager = TestProxy.start(rule("hints", "^/", "ws://127.0.0.1:" + target.getLocalPort(), "", ""),
                     new RelayPlugin())) {
            io.wsproxy.testing.RawHttp.answerUpgradeOnce(target, key -> "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                    + "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + io.wsproxy.upstream.WebSocketKeys.accept(key)
                    + "\r\n\r\n\u0081\u0005early");
            try (WsClient client = WsClient.connect(eager.ws("/"))) {
                assertEquals("early", client.nextText());
            }
        }
    }

    @Test
    void a101ThatDoesNotProveTheTargetReadTheKeyIs502() throws Exception {
        // the client must not be told a handshake succeeded that the target never completed (RFC 6455 4.1)
        assertTargetAnswerIs502(key -> "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        assertTargetAnswerIs502(key -> "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + io.wsproxy.upstream.WebSocketKeys.accept("AAAAAAAAAAAAAAAAAAAAAA==") + "\r\n\r\n");
    }

    @Test
    void a101ToAnotherProtocolIs502() throws Exception {
        assertTargetAnswerIs502(key -> "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + io.wsproxy.upstream.WebSocketKeys.accept(key) + "\r\n\r\n");
    }

    @Test
    void aStatusBeyond599IsABadGatewayNotAPluginFailure() throws Exception {
        assertTargetAnswerIs502(key -> "HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n");
    }

    @Test
    void aRefusalsBodyIsTheProxysSoTheTargetsContentEncodingIsNotPassed() throws Exception {
        // the client reads the relay's plain text, not the target's gzip: labelled gzip, it cannot be decoded
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             TestProxy proxied = TestProxy.start(rule("gz", "^/", "ws://127.0.0.1:" + target.getLocalPort(), "", ""),
                     new RelayPlugin())) {
            io.wsproxy.testing.RawHttp.answerUpgradeOnce(target, key -> "HTTP/1.1 403 Forbidden\r\nX-Why: token\r\nContent-Encoding: gzip\r\n"
                    + "Content-Length: 4\r\n\r\n\u001f\u008b\u0008\u0000");
            java.net.http.HttpResponse<?> refusal = WsClient.handshakeRefusal(proxied.ws("/"));
            assertEquals(403, refusal.statusCode());
            assertEquals("token", refusal.headers().firstValue("X-Why").orElse(null));
            assertEquals(java.util.Optional.empty(), refusal.headers().firstValue("Content-Encoding"));
        }
    }

    private static void assertTargetAnswerIs502(java.util.function.UnaryOperator<String> answer) throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             TestProxy proxied = TestProxy.start(rule("odd", "^/", "ws://127.0.0.1:" + target.getLocalPort(), "", ""),
                     new RelayPlugin())) {
            io.wsproxy.testing.RawHttp.answerUpgradeOnce(target, answer);
            assertEquals(502, WsClient.handshakeStatus(proxied.ws("/")));
        }
    }

    @Test
    void anOpenWebSocketKeepsItsRuleAcrossAReloadThatRemovesIt() throws Exception {
        try (WsClient open = WsClient.connect(proxy.ws("/ws"))) {
            proxy.reload(rule("moved", "^/moved(/.*)?$", "ws://127.0.0.1:" + backend.port(), "$1", ""));
            assertEquals(404, WsClient.handshakeStatus(proxy.ws("/ws")));
            try (WsClient moved = WsClient.connect(proxy.ws("/moved"))) {
                moved.sendText("new rule");
                assertEquals("new rule", moved.nextText());
            }
            open.sendText("old rule");
            assertEquals("old rule", open.nextText());
        }
    }

    @Test
    void aReloadWithARuleThePluginsRefuseChangesNothing() throws Exception {
        io.wsproxy.config.ConfigException refused = org.junit.jupiter.api.Assertions.assertThrows(
                io.wsproxy.config.ConfigException.class, () -> proxy.reload(rule("other", "^/other$",
                        "ws://127.0.0.1:" + backend.port(), "", "    plugin: nosuch\n")));
        assertTrue(refused.getMessage().contains("nosuch"), refused.getMessage());
        assertEquals(404, WsClient.handshakeStatus(proxy.ws("/other")));
        try (WsClient client = WsClient.connect(proxy.ws("/ws"))) {
            client.sendText("same rules");
            assertEquals("same rules", client.nextText());
        }
    }

    @Test
    void metricsCountSessionsOpenClosedAndRefused() throws Exception {
        int closedPort = io.wsproxy.testing.ClosedPort.next();
        try (TestProxy counted = TestProxy.startWithServer("metricsPath: /metrics",
                rule("echo", "^/ws$", "ws://127.0.0.1:" + backend.port(), "", "")
                        + rule("dead", "^/dead$", "ws://127.0.0.1:" + closedPort, "", ""), new RelayPlugin())) {
            try (WsClient client = WsClient.connect(counted.ws("/ws"))) {
                client.sendText("hello");
                assertEquals("hello", client.nextText());
                assertTrue(metrics(counted).contains("\nwsproxy_websocket_sessions_open 1\n"));
                client.close(1000, "done");
                counted.nextAccessLog();
            }
            assertEquals(502, WsClient.handshakeStatus(counted.ws("/dead")));
            counted.nextHttpAccessLog();
            String metrics = metrics(counted);
            assertTrue(metrics.contains("\nwsproxy_websocket_sessions_open 0\n"), metrics);
            assertTrue(metrics.contains("\nwsproxy_websocket_sessions_total{rule=\"echo\",closed_by=\"client\"} 1\n"),
                    metrics);
            assertTrue(metrics.contains("\nwsproxy_bytes_total{kind=\"websocket\",rule=\"echo\",direction=\"to_client\"} "),
                    metrics);
            assertTrue(metrics.contains("\nwsproxy_http_requests_total{rule=\"dead\",status=\"502\",outcome=\"complete\"} 1\n"),
                    metrics);
        }
    }

    private static String metrics(TestProxy proxy) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                proxy.http("/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void unknownHostIs502() throws Exception {
        try (TestProxy nowhere = TestProxy.start(rule("nowhere", "^/", "ws://no-such-host.invalid:1", "", ""),
                new RelayPlugin())) {
            assertEquals(502, WsClient.handshakeStatus(nowhere.ws("/")));
        }
    }

    @Test
    void connectTimeoutIs504() throws Exception {
        // a listener whose backlog is never accepted completes TCP but never answers the upgrade
        try (ServerSocket silent = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             TestProxy slow = TestProxy.start(rule("slow", "^/", "ws://127.0.0.1:" + silent.getLocalPort(), "",
                     "    options: { connectTimeout: 300ms }\n"), new RelayPlugin())) {
            assertEquals(504, WsClient.handshakeStatus(slow.ws("/")));
        }
    }

    @Test
    void anOpenWebSocketOutlivesTheServersClientTimeouts() throws Exception {
        try (TestProxy strict = TestProxy.startWithServer("headerTimeout: 200ms, keepAliveTimeout: 200ms",
                rule("echo", "^/ws(/.*)?$", "ws://127.0.0.1:" + backend.port(), "$1", ""), new RelayPlugin());
             WsClient client = WsClient.connect(strict.ws("/ws/chat"))) {
            // a connection opened after the WebSocket, closed for sending nothing: the WebSocket's timers ran out too
            try (var probe = new java.net.Socket("127.0.0.1", strict.server().port())) {
                probe.setSoTimeout(10_000);
                assertEquals(-1, probe.getInputStream().read());
            }
            client.sendText("still here");
            assertEquals("still here", client.nextText());
        }
    }

    @Test
    void targetRefusingTheUpgradePassesItsStatus() throws Exception {
        try (TestProxy refusing = TestProxy.start(rule("refuse", "^/", "ws://127.0.0.1:" + backend.port(), "/status/401", ""),
                new RelayPlugin())) {
            java.net.http.HttpResponse<?> refusal = WsClient.handshakeRefusal(refusing.ws("/"));
            assertEquals(401, refusal.statusCode());
            assertEquals("Bearer realm=\"test\"", refusal.headers().firstValue("WWW-Authenticate").orElse(null));
        }
    }

    @Test
    void severalSetCookieHeadersOnThe101StaySeparate() throws Exception {
        try (var socket = new java.net.Socket("127.0.0.1", proxy.server().port())) {
            socket.getOutputStream().write(("GET /ws/cookies HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes());
            String head = readHead(socket).toLowerCase();
            assertTrue(head.startsWith("http/1.1 101"), head);
            assertTrue(head.contains("\r\nset-cookie: a=1; expires=wed, 21 oct 2037 07:28:00 gmt\r\n"), head);
            assertTrue(head.contains("\r\nset-cookie: b=2\r\n"), head);
        }
    }

    @Test
    void anUpgradeLeadingBackToTheProxyIsRefused508() throws Exception {
        proxy.reload(rule("itself", "^/", "ws://127.0.0.1:" + proxy.server().port(), "", ""));
        assertEquals(508, WsClient.handshakeStatus(proxy.ws("/x")));
    }

    @Test
    void noRuleIs404() throws Exception {
        assertEquals(404, WsClient.handshakeStatus(proxy.ws("/elsewhere")));
    }

    @Test
    void messageOverTheLimitClosesWith1009() throws Exception {
        try (TestProxy limited = TestProxy.start(rule("small", "^/", "ws://127.0.0.1:" + backend.port(), "",
                "    options: { maxMessageBytes: 1KiB }\n"), new RelayPlugin());
             WsClient client = WsClient.connect(limited.ws("/"))) {
            client.sendText("fits");
            assertEquals("fits", client.nextText());
            client.sendBinary(new byte[2048]);
            assertEquals(1009, client.awaitClose().code());
            assertEquals(1001, backend.nextClose().code());
        }
    }

    @Test
    void aMessageOverTheLimitThatFillsTheBufferStillEndsWithTheClosingHandshake() throws Exception {
        // the refused frame's bytes fill the relay's buffer: it must read on (and drop them) to see the client's
        // close reply and the end of its socket, not wait out closeTimeout
        try (TestProxy limited = TestProxy.start(rule("small", "^/", "ws://127.0.0.1:" + backend.port(), "",
                "    options: { maxMessageBytes: 1KiB, closeTimeout: 60s }\n"), new RelayPlugin());
             WsClient client = WsClient.connect(limited.ws("/"))) {
            client.sendBinary(new byte[256 * 1024]);
            assertEquals(1009, client.awaitClose().code());
            io.wsproxy.spi.AccessLogEntry entry = limited.nextAccessLog();
            assertEquals(1009, entry.closeCode());
            assertEquals("proxy", entry.closedBy());
        }
    }

    @Test
    void shutdownClosesOpenSocketsWith1001() throws Exception {
        TestProxy closing = TestProxy.start(rule("s", "^/", "ws://127.0.0.1:" + backend.port(), "", ""), new RelayPlugin());
        try (WsClient client = WsClient.connect(closing.ws("/"))) {
            client.sendText("up");
            client.nextText();
            closing.close();
            assertEquals(1001, client.awaitClose().code());
            assertEquals(1001, backend.nextClose().code());
        }
    }

    @Test
    void shutdownReachesAClientThatIsBehindWith1001AfterTheFrameUnderWay() throws Exception {
        TestProxy closing = TestProxy.start(rule("s", "^/", "ws://127.0.0.1:" + backend.port(), "", ""), new RelayPlugin());
        long total = 64L << 20;
        try (WsClient client = WsClient.connect(closing.ws("/"), Map.of(), List.of(), false)) {
            client.sendText("flood:" + total);
            Stall.await(backend::floodSent); // the relay's sink towards the client is full, mid-frame
            CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
                try {
                    closing.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            WsClient.Event event = null;
            for (long received = 0; received <= total && !(event instanceof WsClient.Close); ) {
                client.request(1);
                event = client.next();
                assertFalse(event instanceof WsClient.Error, "the client got a cut frame or an end: " + event);
                if (event instanceof WsClient.Binary binary) {
                    received += binary.data().length;
                }
            }
            assertEquals(1001, ((WsClient.Close) event).code());
            stopped.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theTargetsHopByHopHeadersStopAtTheProxyOnA101AndARefusal() throws Exception {
        String[][] answers = {
                {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade, X-Internal-Token\r\n"
                        + "X-Internal-Token: secret\r\nProxy-Authenticate: Basic\r\nX-Kept: yes\r\n"
                        + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", "HTTP/1.1 101"},
                {"HTTP/1.1 429 Too Many Requests\r\nConnection: close, X-Internal-Token\r\nX-Internal-Token: secret\r\n"
                        + "Proxy-Authenticate: Basic\r\nX-Kept: yes\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 429"}};
        try (ServerSocket target = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            proxy.reload(rule("raw", "^/", "ws://127.0.0.1:" + target.getLocalPort(), "", ""));
            for (String[] answer : answers) {
                try (var socket = rawUpgrade(proxy, "/", "")) {
                    try (var upstream = target.accept()) {
                        readHead(upstream);
                        upstream.getOutputStream().write(answer[0].getBytes());
                        String head = readHead(socket);
                        assertTrue(head.startsWith(answer[1]), head);
                        assertTrue(head.contains("\r\nX-Kept: yes\r\n"), head);
                        assertFalse(head.toLowerCase().contains("x-internal-token: secret"), head);
                        assertFalse(head.toLowerCase().contains("proxy-authenticate"), head);
                    }
                }
            }
        }
    }

    @Test
    void shutdownAddsNoCloseOfItsOwnBehindTheTargetsClose() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            TestProxy closing = TestProxy.start(rule("s", "^/", "ws://127.0.0.1:" + target.getLocalPort(), "", ""),
                    new RelayPlugin());
            try (var socket = rawUpgrade(closing, "/", "")) {
                try (var upstream = target.accept()) {
                    readHead(upstream);
                    // the 101 for the client's key, then a close, and the connection kept open (as some servers do)
                    upstream.getOutputStream().write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
                            .getBytes());
                    upstream.getOutputStream().write(new byte[] {(byte) 0x88, 6, 0x03, (byte) 0xe8, 'b', 'y', 'e', '!'});
                    assertTrue(readHead(socket).startsWith("HTTP/1.1 101"));
                    var in = new java.io.DataInputStream(socket.getInputStream());
                    assertEquals(0x88, in.readUnsignedByte(), "the target's close");
                    in.readFully(new byte[in.readUnsignedByte()]);
                    // the client has not answered yet when the proxy stops: its close is the target's, nothing follows
                    closing.close();
                    int next;
                    try {
                        next = in.read();
                    } catch (java.net.SocketException reset) {
                        next = -1;
                    }
                    assertEquals(-1, next, "a frame followed the close");
                }
            }
        }
    }

    @Test
    void aClientGoneWhileItsTargetIsDialledHasTheDialClosedAndIsLogged499() throws Exception {
        clientGoesWhileItsTargetIsDialled("");
    }

    @Test
    void aClientThatSentFramesEarlyAndWentIsNoticedToo() throws Exception {
        // bytes that came in with the request wait as Undertow's extra bytes, ahead of what the socket holds
        clientGoesWhileItsTargetIsDialled("\u0081\u0080early");
    }

    private static void clientGoesWhileItsTargetIsDialled(String behindTheRequest) throws Exception {
        // the target takes the upgrade request and never answers: without the proxy noticing the client go, the
        // dial would hold its upstream until the 60 s connect timeout
        java.util.concurrent.CompletableFuture<Void> asked = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<Void> upstreamClosed = new java.util.concurrent.CompletableFuture<>();
        try (ServerSocket target = new ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress());
             TestProxy proxied = TestProxy.start(rule("gone", "^/", "ws://127.0.0.1:" + target.getLocalPort(), "",
                     "    options: { connectTimeout: 60s }\n"), new RelayPlugin())) {
            Thread silent = new Thread(() -> {
                try (java.net.Socket socket = target.accept()) {
                    io.wsproxy.testing.RawHttp.readHead(socket.getInputStream());
                    asked.complete(null);
                    socket.setSoTimeout(0);
                    socket.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                } catch (Exception e) {
                    // reset by the proxy: closed all the same
                }
                upstreamClosed.complete(null);
            });
            silent.setDaemon(true);
            silent.start();
            java.net.Socket client = io.wsproxy.testing.RawHttp.connect(proxied);
            io.wsproxy.testing.RawHttp.send(client, io.wsproxy.testing.RawHttp.upgradeRequest("/") + behindTheRequest);
            asked.get(10, TimeUnit.SECONDS);

            client.close();

            upstreamClosed.get(10, TimeUnit.SECONDS);
            io.wsproxy.server.HttpAccessLogEntry entry = proxied.nextHttpAccessLog();
            assertEquals(499, entry.status(), entry.toString());
            assertEquals(io.wsproxy.server.HttpAccessLogEntry.CLIENT_FAILED, entry.outcome());
        }
    }

    @Test
    void aClientGoneWhileItsTargetDoesNotAnswerTheConnectHasTheConnectDropped() throws Exception {
        try (io.wsproxy.testing.BlackHole down = io.wsproxy.testing.BlackHole.open("127.0.0.1", 0);
             TestProxy proxied = TestProxy.start(rule("down", "^/", "ws://127.0.0.1:" + down.port(), "",
                     "    options: { connectTimeout: 60s }\n"), new RelayPlugin())) {
            java.net.Socket client = io.wsproxy.testing.RawHttp.connect(proxied);
            io.wsproxy.testing.RawHttp.send(client, io.wsproxy.testing.RawHttp.upgradeRequest("/"));
            io.wsproxy.testing.KernelSockets.awaitConnecting(down.port(), 1);

            client.close();

            // without the client, the connect is dropped, not held for 60 s
            io.wsproxy.testing.KernelSockets.awaitConnecting(down.port(), 0);
            io.wsproxy.server.HttpAccessLogEntry entry = proxied.nextHttpAccessLog();
            assertEquals(499, entry.status(), entry.toString());
        }
    }

    @Test
    void framesAClientSendsWhileItsTargetIsDialledReachTheTargetAfterThe101() throws Exception {
        // RFC 6455 says a client waits for the 101; some do not: what they send meanwhile must not be lost
        java.util.concurrent.CompletableFuture<Void> asked = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<Void> sentEarly = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<byte[]> received = new java.util.concurrent.CompletableFuture<>();
        byte[] frame = {(byte) 0x81, (byte) 0x85, 1, 2, 3, 4, 'e' ^ 1, 'a' ^ 2, 'r' ^ 3, 'l' ^ 4, 'y' ^ 1};
        try (ServerSocket target = new ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress());
             TestProxy proxied = TestProxy.start(rule("early", "^/", "ws://127.0.0.1:" + target.getLocalPort(), "",
                     ""), new RelayPlugin())) {
            Thread answering = new Thread(() -> {
                try (java.net.Socket socket = target.accept()) {
                    String k = io.wsproxy.testing.RawHttp.webSocketKey(
                            io.wsproxy.testing.RawHttp.readHead(socket.getInputStream()));
                    asked.complete(null);
                    sentEarly.join();
                    io.wsproxy.testing.RawHttp.send(socket, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket"
                            + "\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
                            + io.wsproxy.upstream.WebSocketKeys.accept(k) + "\r\n\r\n");
                    received.complete(socket.getInputStream().readNBytes(frame.length));
                } catch (Exception e) {
                    received.completeExceptionally(e);
                }
            });
            answering.setDaemon(true);
            answering.start();
            try (java.net.Socket client = io.wsproxy.testing.RawHttp.connect(proxied)) {
                io.wsproxy.testing.RawHttp.send(client, io.wsproxy.testing.RawHttp.upgradeRequest("/"));
                asked.get(10, TimeUnit.SECONDS);
                client.getOutputStream().write(frame); // behind the request, while the target is still to answer
                client.getOutputStream().flush();
                // the target answers once the proxy has read them (its watch reads at once)
                KernelSockets.awaitAllRead(client.getPort(), client.getLocalPort());
                sentEarly.complete(null);
                assertTrue(io.wsproxy.testing.RawHttp.readHead(client.getInputStream()).startsWith("HTTP/1.1 101"));
                assertArrayEquals(frame, received.get(10, TimeUnit.SECONDS));
            }
        } finally {
            sentEarly.complete(null);
        }
    }

    @Test
    void aWebSocketUpgradedWhileShutdownWaitsForOthersGets1001Too() throws Exception {
        // shutdown closes the sessions open when it starts and waits for them; a handshake under way then (its
        // target slow to answer) becomes a session during that wait, and must be told 1001 as well, not left open
        // until the grace runs out and its socket is cut without a close frame
        java.util.concurrent.CompletableFuture<Void> secondAsked = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<Void> answerSecond = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<Void> endFirst = new java.util.concurrent.CompletableFuture<>();
        try (ServerSocket target = new ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress())) {
            TestProxy stopping = TestProxy.start(rule("slow", "^/", "ws://127.0.0.1:" + target.getLocalPort(), "",
                    "    options: { closeTimeout: 60s }\n"), new RelayPlugin());
            // the first target never answers the proxy's close: that session stays open while shutdown waits
            answerUpgrade(target, () -> { }, endFirst);
            try (WsClient first = WsClient.connect(stopping.ws("/first"))) {
                answerUpgrade(target, () -> {
                    secondAsked.complete(null);
                    answerSecond.join();
                }, java.util.concurrent.CompletableFuture.completedFuture(null));
                java.util.concurrent.CompletableFuture<WsClient> second = java.util.concurrent.CompletableFuture
                        .supplyAsync(() -> {
                            try {
                                return WsClient.connect(stopping.ws("/second"));
                            } catch (Exception e) {
                                throw new java.util.concurrent.CompletionException(e);
                            }
                        });
                secondAsked.get(10, TimeUnit.SECONDS);
                Thread stop = new Thread(() -> stopping.server().stop(java.time.Duration.ofSeconds(30)));
                stop.start();
                assertEquals(1001, first.awaitClose().code());
                answerSecond.complete(null);
                try (WsClient late = second.get(10, TimeUnit.SECONDS)) {
                    assertEquals(1001, late.awaitClose().code());
                }
                endFirst.complete(null);
                stop.join(20_000);
            }
            stopping.assertNoLeaks();
        } finally {
            answerSecond.complete(null);
            endFirst.complete(null);
        }
    }

    /**
     * Accepts one upgrade on a thread of its own, runs {@code beforeAnswer}, answers 101, reads what comes to the
     * end (the stage returned completes then), and holds its socket until {@code end} completes.
     */
    private static java.util.concurrent.CompletableFuture<Void> answerUpgrade(ServerSocket target,
            Runnable beforeAnswer, java.util.concurrent.CompletableFuture<Void> end) {
        java.util.concurrent.CompletableFuture<Void> proxyClosed = new java.util.concurrent.CompletableFuture<>();
        Thread answering = new Thread(() -> {
            try (java.net.Socket socket = target.accept()) {
                String k = io.wsproxy.testing.RawHttp.webSocketKey(
                        io.wsproxy.testing.RawHttp.readHead(socket.getInputStream()));
                beforeAnswer.run();
                io.wsproxy.testing.RawHttp.send(socket, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + io.wsproxy.upstream.WebSocketKeys.accept(k)
                        + "\r\n\r\n");
                socket.setSoTimeout(0);
                socket.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                proxyClosed.complete(null);
                end.join();
            } catch (Exception e) {
                proxyClosed.complete(null); // reset by the proxy: closed all the same
            }
        });
        answering.setDaemon(true);
        answering.start();
        return proxyClosed;
    }

    @Test
    void slowReaderCostsAtMostItsBuffers() throws Exception {
        long total = 100L << 20;
        try (WsClient client = WsClient.connect(proxy.ws("/ws"), Map.of(), List.of(), false)) {
            LeakDetectingPool relayBuffers = proxy.pool(RelayPlugin.DEFAULT_BUFFER_SIZE);
            relayBuffers.resetMax();
            client.sendText("flood:" + total);
            // the client reads nothing: the target's sends must stall well short of 100 MB
            long stalled = Stall.await(backend::floodSent);
            assertTrue(stalled < total / 2, "the target sent " + stalled + " bytes to a client that reads nothing");
            long received = 0;
            while (received < total) {
                client.request(1);
                received += client.nextBinary().length;
            }
            assertEquals(total, received);
            assertTrue(relayBuffers.maxOutstanding() >= 1, "the relay took no buffer of its size: this measured nothing");
            assertTrue(relayBuffers.maxOutstanding() <= 4,
                    "the proxy held " + relayBuffers.maxOutstanding() + " buffers for one slow reader");
        }
    }

    @Test
    void aMessageIsRelayedThroughBuffersOf64KiB() throws Exception {
        LeakDetectingPool large = proxy.pool(64 * 1024);
        large.resetMax();
        byte[] data = new byte[300_000];
        new Random(3).nextBytes(data);
        try (WsClient client = WsClient.connect(proxy.ws("/ws"))) {
            client.sendBinary(data);
            assertArrayEquals(data, client.nextBinary());
        }
        assertTrue(large.maxOutstanding() >= 1, "no 64 KiB buffer was taken for the relay");
    }

    @Test
    void aRulesBufferSizeIsTheSizeOfItsRelayBuffers() throws Exception {
        byte[] data = new byte[300_000];
        new Random(4).nextBytes(data);
        try (TestProxy small = TestProxy.start(rule("small", "^/", "ws://127.0.0.1:" + backend.port(), "",
                "    options: { bufferSize: 4KiB }\n"), new RelayPlugin());
             WsClient client = WsClient.connect(small.ws("/"))) {
            LeakDetectingPool fourKiB = small.pool(4 * 1024);
            LeakDetectingPool large = small.pool(64 * 1024);
            client.sendBinary(data);
            assertArrayEquals(data, client.nextBinary());
            assertTrue(fourKiB.maxOutstanding() >= 1, "no 4 KiB buffer was taken for the relay");
            assertEquals(0, large.maxOutstanding(), "a 64 KiB buffer was taken though the rule asks for 4 KiB");
        }
    }

    @Test
    void aSessionThatCannotHaveABufferEndsAtOnceAndOthersGoOn() throws Exception {
        LeakDetectingPool relayBuffers = proxy.pool(RelayPlugin.DEFAULT_BUFFER_SIZE);
        try (WsClient starved = WsClient.connect(proxy.ws("/ws"))) {
            relayBuffers.refuseAbove(0); // direct memory used up: the next read has nowhere to go
            starved.sendText("hello");
            assertEquals(1006, starved.awaitClose().code(), "the session was not ended");
        }
        io.wsproxy.spi.AccessLogEntry entry = proxy.nextAccessLog();
        assertEquals(1013, entry.closeCode());
        assertEquals("proxy", entry.closedBy());
        relayBuffers.refuseAbove(Integer.MAX_VALUE);
        try (WsClient next = WsClient.connect(proxy.ws("/ws"))) {
            next.sendText("again");
            assertEquals("again", next.nextText());
        }
    }
}
