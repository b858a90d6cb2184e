package io.wsproxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.wsproxy.spi.UpstreamException;
import io.wsproxy.testing.LeakDetectingPool;
import io.wsproxy.testing.RawHttp;
import io.wsproxy.websocket.WebSocketConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xnio.OptionMap;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

/**
 * What the dialer of plugins that speak in messages takes for a handshake: a 101 that proves the target read the
 * key, switched to WebSocket and chose nothing that was not offered. Anything else is a 502 at the handshake, not
 * a connection that fails at its first frame.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebSocketDialerTest {
    private XnioWorker worker;
    private LeakDetectingPool pool;
    private WebSocketDialer dialer;
    private final List<ServerSocket> targets = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        worker = Xnio.getInstance().createWorker(OptionMap.EMPTY);
        pool = new LeakDetectingPool(16 * 1024);
        UpstreamDialer tcp = new UpstreamDialer(pool, new UpstreamTls(Xnio.getInstance(), null), OptionMap.EMPTY);
        dialer = new WebSocketDialer(new RawUpgradeDialer(tcp, pool), pool);
    }

    @AfterEach
    void stop() throws Exception {
        worker.shutdownNow();
        for (ServerSocket target : targets) {
            target.close();
        }
    }

    @Test
    void aSubprotocolThatWasOfferedIsTaken() throws Exception {
        WebSocketConnection connection = dial(offering("a, chat"), key -> switching(key, "Sec-WebSocket-Protocol: chat\r\n"))
                .get(10, TimeUnit.SECONDS);
        assertEquals("chat", connection.subprotocol());
        connection.ioThread().execute(connection::abort);
        pool.assertNoLeaks(Duration.ofSeconds(5));
    }

    @Test
    void aWrongMissingOrDoubledAcceptIs502() throws Exception {
        assertRefused(new HeaderMap(), key -> "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\n\r\n", "Sec-WebSocket-Accept");
        assertRefused(new HeaderMap(), key -> switching(WebSocketKeys.newKey(), ""), "Sec-WebSocket-Accept");
        assertRefused(new HeaderMap(), key -> switching(key, "Sec-WebSocket-Accept: " + WebSocketKeys.accept(key) + "\r\n"),
                "Sec-WebSocket-Accept");
    }

    @Test
    void a101ToAnotherProtocolIs502() throws Exception {
        assertRefused(new HeaderMap(), key -> "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + WebSocketKeys.accept(key) + "\r\n\r\n", "'h2c'");
    }

    @Test
    void anExtensionOrSubprotocolThatWasNotOfferedIs502() throws Exception {
        // this dialer offers no extension: compressed frames would otherwise come with RSV1 set, a protocol error
        assertRefused(new HeaderMap(), key -> switching(key, "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
                "permessage-deflate");
        assertRefused(offering("a, chat"), key -> switching(key, "Sec-WebSocket-Protocol: ch\r\n"), "'ch'");
        assertRefused(new HeaderMap(), key -> switching(key, "Sec-WebSocket-Protocol: chat\r\n"), "'chat'");
    }

    private void assertRefused(HeaderMap headers, UnaryOperator<String> answer, String named) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> dial(headers, answer).get(10, TimeUnit.SECONDS));
        UpstreamException refused = assertInstanceOf(UpstreamException.class, e.getCause());
        assertEquals(502, refused.status());
        assertTrue(refused.getMessage().contains(named), refused.getMessage());
        pool.assertNoLeaks(Duration.ofSeconds(5));
    }

    private static HeaderMap offering(String protocols) {
        HeaderMap headers = new HeaderMap();
        headers.put(Headers.SEC_WEB_SOCKET_PROTOCOL, protocols);
        return headers;
    }

    /** A 101 with the right accept for {@code key}, and {@code more} header lines. */
    private static String switching(String key, String more) {
        return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + WebSocketKeys.accept(key) + "\r\n" + more + "\r\n";
    }

    /** Dials a target that writes {@code answer} of the key it was sent, then holds the socket until it is closed. */
    private CompletableFuture<WebSocketConnection> dial(HeaderMap headers, UnaryOperator<String> answer)
            throws Exception {
        ServerSocket target = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        targets.add(target);
        RawHttp.answerUpgradeOnce(target, answer);
        return dialer.dial(URI.create("ws://127.0.0.1:" + target.getLocalPort() + "/"), headers,
                worker.getIoThread(), Duration.ofSeconds(5)).toCompletableFuture();
    }
}
