package io.wsproxy.forward.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The forward protocol end to end: real upstream servers on port 0, the JDK's client, the proxy between. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ForwardProtocolTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private <T extends AutoCloseable> T use(T resource) {
        resources.add(resource);
        return resource;
    }

    private Backend backend(java.util.function.BiConsumer<io.undertow.websockets.core.WebSocketChannel, String> answer) {
        return use(new Backend(answer));
    }

    private ForwardProxy proxy(Backend target, Map<String, Object> options) throws Exception {
        return use(new ForwardProxy(target == null ? null : target.url(), options));
    }

    private Client client(ForwardProxy proxy) throws Exception {
        return use(new Client(proxy.url()));
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
    void forwardsTheRequestAndWrapsTheReplyWithTheUrlAsWritten() throws Exception {
        Backend server = backend(Backend.ANSWER);
        Client client = client(proxy(null, allowLocal()));
        String url = server.url().replace("ws://", "http://");
        client.send(forward(url, "{ \"type\": \"request\", \"id\": 1 }"));
        assertEquals("{ \"type\": \"request\", \"id\": 1 }", server.next());
        assertEquals("{\"type\":\"forward\",\"url\":\"" + url + "\",\"forward\":"
                + "{\"type\":\"response\",\"got\":{ \"type\": \"request\", \"id\": 1 }}}", client.next());
    }

    @Test
    void aReplyThatIsNotJsonArrivesAsAString() throws Exception {
        Backend server = backend((ch, text) -> io.undertow.websockets.core.WebSockets.sendText("plain } text", ch, null));
        Client client = client(proxy(null, allowLocal()));
        client.send(forward(server.url(), "1"));
        assertEquals("plain } text", json(client.next()).get("forward").asText());
    }

    @Test
    void oneUpstreamConnectionServesEveryRequestToTheSameUrl() throws Exception {
        Backend server = backend(Backend.ANSWER);
        Client client = client(proxy(null, allowLocal()));
        for (int i = 0; i < 5; i++) {
            client.send(forward(server.url(), "{\"n\":" + i + "}"));
        }
        for (int i = 0; i < 5; i++) {
            assertEquals(i, json(client.next()).get("forward").get("got").get("n").asInt());
        }
        assertEquals(1, server.connectionCount());
    }

    @Test
    void anUpstreamThatNeverAnswersDelaysNoOther() throws Exception {
        String silent = blackHole();
        Backend fast = backend(Backend.ANSWER);
        Backend target = backend(Backend.ECHO);
        Client client = client(proxy(target, allowLocal("connectTimeout", "10s")));
        for (int i = 0; i < 10; i++) {
            client.send(forward(silent, "{\"n\":" + i + "}"));
        }
        client.send(forward(fast.url(), "{\"fast\":true}"));
        client.send("{\"type\":\"request\",\"to\":\"target\"}");
        List<String> got = List.of(client.next(), client.next());
        assertTrue(got.contains("{\"type\":\"request\",\"to\":\"target\"}"), got.toString());
        assertTrue(got.stream().anyMatch(m -> m.contains("\"fast\":true")), got.toString());
    }

    @Test
    void otherMessagesGoToTheTargetAndBackUnchangedInOrder() throws Exception {
        Backend target = backend(Backend.ECHO);
        Client client = client(proxy(target, allowLocal()));
        for (int i = 0; i < 50; i++) {
            client.send("{\"type\":\"request\",\"n\":" + i + "}");
        }
        for (int i = 0; i < 50; i++) {
            assertEquals("{\"type\":\"request\",\"n\":" + i + "}", target.next());
            assertEquals("{\"type\":\"request\",\"n\":" + i + "}", client.next());
        }
    }

    @Test
    void selfForwardRunsOnTheTargetOverItsOwnConnectionWithoutDiallingTheProxy() throws Exception {
        Backend target = backend(Backend.ANSWER);
        ForwardProxy proxy = proxy(target, Map.of("self", List.of("https://proxy.example/")));
        Client client = client(proxy);
        client.send(forward("HTTPS://Proxy.example", "{\"type\":\"request\",\"id\":7}"));
        assertEquals("{\"type\":\"request\",\"id\":7}", target.next());
        JsonNode reply = json(client.next());
        assertEquals("HTTPS://Proxy.example", reply.get("url").asText());
        assertEquals(7, reply.get("forward").get("got").get("id").asInt());
        assertEquals(2, target.connectionCount(), "the main connection and the dedicated self connection");
        assertEquals(1, proxy.openSessions(), "a dial to ourselves would be a second session");
    }

    @Test
    void pingGoesToTheTargetAndEveryOpenUpstream() throws Exception {
        Backend target = backend(Backend.SILENT);
        Backend a = backend((ch, text) -> io.undertow.websockets.core.WebSockets.sendText(
                text.contains("ping") ? "{\"type\":\"pong\",\"from\":\"a\"}" : "{\"ok\":1}", ch, null));
        Backend b = backend(Backend.SILENT);
        Client client = client(proxy(target, allowLocal()));
        client.send(forward(a.url(), "{}")).send(forward(b.url(), "{}"));
        a.next();
        b.next();
        client.next();
        client.send("{\"type\":\"ping\"}");
        assertEquals("{\"type\":\"ping\"}", target.next());
        assertEquals("{\"type\":\"ping\"}", a.next());
        assertEquals("{\"type\":\"ping\"}", b.next());
        JsonNode pong = json(client.next());
        assertEquals(a.url(), pong.get("url").asText());
        assertEquals("pong", pong.get("forward").get("type").asText());
    }

    @Test
    void anUpstreamClosedByItsServerClosesTheClientWith1014NamingIt() throws Exception {
        Backend server = backend(Backend.ANSWER);
        Client client = client(proxy(null, allowLocal()));
        String url = server.url();
        client.send(forward(url, "{}"));
        client.next();
        server.closeConnections(1000, "done");
        Client.Closed closed = client.awaitClose(2000);
        assertEquals(1014, closed.code());
        assertTrue(closed.reason().contains(url), closed.reason());
    }

    @Test
    void eventModeReportsTheDisconnectAndReconnectsOnTheNextRequest() throws Exception {
        Backend server = backend(Backend.ANSWER);
        Client client = client(proxy(null, allowLocal("onUpstreamClose", "event")));
        String url = server.url();
        client.send(forward(url, "{\"n\":1}"));
        client.next();
        server.closeConnections(1000, "done");
        assertEquals("{\"type\":\"event\",\"event\":{\"type\":\"disconnected\",\"url\":\"" + url + "\"}}", client.next());
        client.send(forward(url, "{\"n\":2}"));
        assertEquals(2, json(client.next()).get("forward").get("got").get("n").asInt());
        assertEquals(2, server.connectionCount());
        assertFalse(client.isClosed());
    }

    @Test
    void clientCloseClosesEveryUpstream() throws Exception {
        Backend target = backend(Backend.SILENT);
        Backend a = backend(Backend.SILENT);
        Backend b = backend(Backend.SILENT);
        Client client = client(proxy(target, allowLocal()));
        client.send(forward(a.url(), "{}")).send(forward(b.url(), "{}"));
        a.next();
        b.next();
        client.closeNormally();
        target.awaitClosed();
        a.awaitClosed();
        b.awaitClosed();
    }

    @Test
    void malformedMessagesGetA400AndTheConnectionGoesOn() throws Exception {
        Backend target = backend(Backend.ECHO);
        Client client = client(proxy(target, allowLocal()));
        client.send("not json");
        assertError(client.next(), null, 400);
        client.send("{\"type\":\"forward\",\"request\":{}}");
        assertError(client.next(), null, 400);
        client.send(forward("ftp://127.0.0.1/", "{}"));
        assertError(client.next(), "ftp://127.0.0.1/", 400);
        client.send(forward("ws://127.0.0.1:1/", "{\"type\":\"forward\",\"url\":\"ws://x\",\"request\":{}}"));
        assertError(client.next(), "ws://127.0.0.1:1/", 400);
        client.send("{} trailing");
        assertError(client.next(), null, 400);
        client.send("{\"type\":\"still-alive\"}");
        assertEquals("{\"type\":\"still-alive\"}", client.next());
    }

    @Test
    void aUrlOutsideTheAllowListIsRefusedWith403() throws Exception {
        Backend server = backend(Backend.ANSWER);
        Client client = client(proxy(null, Map.of("allow", List.of("wss://only\\.example"))));
        client.send(forward(server.url(), "{}"));
        assertError(client.next(), server.url(), 403);
        assertEquals(0, server.connectionCount());
    }

    @Test
    void withoutAnAllowListNothingIsForwarded() throws Exception {
        Backend server = backend(Backend.ANSWER);
        Client client = client(proxy(null, Map.of()));
        client.send(forward(server.url(), "{}"));
        assertError(client.next(), server.url(), 403);
    }

    @Test
    void tooManyUpstreamsIsA429() throws Exception {
        Backend a = backend(Backend.ANSWER);
        Backend b = backend(Backend.ANSWER);
        Client client = client(proxy(null, allowLocal("maxUpstreams", 1)));
        client.send(forward(a.url(), "{}"));
        client.next();
        client.send(forward(b.url(), "{}"));
        assertError(client.next(), b.url(), 429);
    }

    @Test
    void anUnreachableUpstreamIsA502() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Client client = client(proxy(null, allowLocal()));
        String url = "ws://127.0.0.1:" + closedPort + "/";
        client.send(forward(url, "{}"));
        assertError(client.next(), url, 502);
    }

    @Test
    void aConnectTimeoutIsA504() throws Exception {
        String silent = blackHole();
        Client client = client(proxy(null, allowLocal("connectTimeout", "300ms")));
        client.send(forward(silent, "{}"));
        assertError(client.next(), silent, 504);
    }

    @Test
    void aFullSendQueueIsA503() throws Exception {
        String silent = blackHole();
        Client client = client(proxy(null, allowLocal("queueBytes", 100)));
        String request = "{\"pad\":\"" + "x".repeat(60) + "\"}";
        client.send(forward(silent, request)).send(forward(silent, request));
        assertError(client.next(), silent, 503);
    }

    @Test
    void aClientMessageOverTheLimitCloses1009() throws Exception {
        Client client = client(proxy(null, allowLocal("maxMessageBytes", 100)));
        client.send("{\"pad\":\"" + "x".repeat(200) + "\"}");
        assertEquals(1009, client.awaitClose(5000).code());
    }

    @Test
    void aHubWithoutTargetRefusesOtherMessages() throws Exception {
        Client client = client(proxy(null, allowLocal()));
        client.send("{\"type\":\"request\"}");
        assertError(client.next(), null, 400);
    }

    @Test
    void connectOpensAheadAndRefusesTwiceOrWhenNotAllowed() throws Exception {
        Backend server = backend(Backend.ANSWER);
        Client client = client(proxy(null, Map.of("allow", List.of("ws://127\\.0\\.0\\.1:" + server.url()
                .replaceAll(".*:(\\d+)/", "$1")))));
        client.send("{\"type\":\"connect\",\"url\":\"" + server.url() + "\"}");
        assertEquals("{\"type\":\"response\",\"response\":{\"status\":true}}", client.next());
        assertEquals(1, server.connectionCount());
        client.send("{\"type\":\"connect\",\"url\":\"" + server.url() + "\"}");
        assertEquals("{\"type\":\"response\",\"response\":{\"status\":false}}", client.next());
        client.send("{\"type\":\"connect\",\"url\":\"ws://127.0.0.1:1/\"}");
        assertEquals("{\"type\":\"response\",\"response\":{\"status\":false}}", client.next());
        client.send(forward(server.url(), "{}"));
        client.next();
        assertEquals(1, server.connectionCount());
        assertNull(client.poll(50));
    }
}
