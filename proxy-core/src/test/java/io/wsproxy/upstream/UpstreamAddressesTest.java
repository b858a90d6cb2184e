package io.wsproxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.undertow.client.ClientConnection;
import io.wsproxy.spi.UpstreamException;
import io.wsproxy.testing.BlackHole;
import io.wsproxy.testing.ClosedPort;
import io.wsproxy.testing.LeakDetectingPool;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

/**
 * A target name with several addresses (src/test/hosts): each dial starts at a random one and moves to the next
 * when one refuses or does not answer within its share of the connect timeout, as nginx does with the addresses
 * of a name in {@code proxy_pass}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpstreamAddressesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private XnioWorker worker;
    private LeakDetectingPool pool;
    private UpstreamDialer dialer;
    private final List<Closeable> opened = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        Xnio xnio = Xnio.getInstance();
        worker = xnio.createWorker(OptionMap.EMPTY);
        pool = new LeakDetectingPool(4096);
        dialer = new UpstreamDialer(pool, new UpstreamTls(xnio, null), OptionMap.EMPTY);
    }

    @AfterEach
    void stop() throws Exception {
        opened.forEach(IoUtils::safeClose);
        worker.shutdownNow();
        pool.assertNoLeaks(Duration.ofSeconds(5));
    }

    @Test
    void movesToTheNextAddressWhenOneRefuses() throws Exception {
        ServerSocket live = listen("127.0.0.1", 0, 50);

        for (int i = 0; i < 8; i++) {
            StreamConnection connection = open("ws://one-refusing.test:" + live.getLocalPort() + "/", TIMEOUT);
            assertEquals("127.0.0.1", peer(connection).getAddress().getHostAddress());
        }
    }

    @Test
    void reachesAServiceListeningOnTheIpv6LoopbackOnlyUnderANameWithBoth() throws Exception {
        // localhost on most machines, and a dev server that listens on ::1 alone (as Node's does by default)
        ServerSocket live;
        try {
            live = listen("::1", 0, 50);
        } catch (IOException e) {
            Assumptions.abort("no IPv6 loopback here: " + e);
            return;
        }

        for (int i = 0; i < 8; i++) {
            StreamConnection connection = open("ws://dual-stack.test:" + live.getLocalPort() + "/", TIMEOUT);
            assertEquals(InetAddress.getByName("::1"), peer(connection).getAddress());
        }
    }

    @Test
    void spreadsConnectionsOverTheAddresses() throws Exception {
        ServerSocket first = listen("127.0.0.1", 0, 50);
        listen("127.0.0.2", first.getLocalPort(), 50);

        Map<String, Integer> perAddress = new TreeMap<>();
        for (int i = 0; i < 32; i++) {
            StreamConnection connection = open("ws://two-listening.test:" + first.getLocalPort() + "/", TIMEOUT);
            perAddress.merge(peer(connection).getAddress().getHostAddress(), 1, Integer::sum);
        }

        // a random first address each time: all 32 on one of them has odds of 2 in 2^32
        assertEquals(2, perAddress.size(), perAddress.toString());
    }

    @Test
    void givesEachAddressItsShareOfTheTimeout() throws Exception {
        ServerSocket live = listen("127.0.0.1", 0, 50);
        blackHole("127.0.0.3", live.getLocalPort());

        // a black hole first would take the whole timeout; it gets half of it, then the next address answers
        for (int i = 0; i < 4; i++) {
            StreamConnection connection = open("ws://black-hole-first.test:" + live.getLocalPort() + "/",
                    Duration.ofSeconds(2));
            assertEquals("127.0.0.1", peer(connection).getAddress().getHostAddress());
        }
    }

    @Test
    void namesEveryAddressTriedWhenNoneAnswers() throws Exception {
        int port = listen("127.0.0.1", 0, 50).getLocalPort();

        ExecutionException failure = assertThrows(ExecutionException.class,
                () -> open("ws://all-refusing.test:" + port + "/", TIMEOUT));

        UpstreamException e = assertInstanceOf(UpstreamException.class, failure.getCause());
        assertEquals(502, e.status());
        assertTrue(e.getMessage().startsWith("cannot reach ws://all-refusing.test:" + port), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.4: Connection refused"), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.5: Connection refused"), e.getMessage());
    }

    @Test
    void answers504WhenTheLastAddressDoesNotAnswerEither() throws Exception {
        int port = blackHole("127.0.0.1", 0);
        blackHole("127.0.0.3", port);

        ExecutionException failure = assertThrows(ExecutionException.class,
                () -> open("ws://black-hole-first.test:" + port + "/", Duration.ofSeconds(1)));

        UpstreamException e = assertInstanceOf(UpstreamException.class, failure.getCause());
        assertEquals(504, e.status());
        assertTrue(e.getMessage().startsWith("timed out after 1000 ms connecting to ws://black-hole-first.test:"
                + port + " (127.0.0."), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.3: timed out"), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.1: timed out"), e.getMessage());
    }

    @Test
    void dialsAnAddressThatFailedLatelyAfterTheOthers() throws Exception {
        int port = ClosedPort.next(); // nothing listens on either address: the error lists them in the order dialled
        for (int i = 0; i < 16; i++) {
            FailedAddresses failed = new FailedAddresses();
            failed.failed(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), port));
            UpstreamDialer fresh = new UpstreamDialer(pool, new UpstreamTls(Xnio.getInstance(), null),
                    OptionMap.EMPTY, failed);

            ExecutionException failure = assertThrows(ExecutionException.class, () -> fresh.openStream(
                    URI.create("ws://one-refusing.test:" + port + "/"), worker.getIoThread(), TIMEOUT)
                    .toCompletableFuture().get(20, TimeUnit.SECONDS));

            assertTrue(failure.getCause().getMessage().endsWith(
                    "(127.0.0.1: Connection refused; 127.0.0.2: Connection refused)"), failure.getCause().getMessage());
            assertTrue(failed.recentlyFailed(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port)),
                    "the one that refused now");
        }
    }

    @Test
    void aConnectionMadeClearsItsAddressFailure() throws Exception {
        ServerSocket live = listen("127.0.0.1", 0, 50);
        InetSocketAddress liveAddress = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), live.getLocalPort());
        FailedAddresses failed = new FailedAddresses();
        failed.failed(liveAddress);
        dialer = new UpstreamDialer(pool, new UpstreamTls(Xnio.getInstance(), null), OptionMap.EMPTY, failed);

        open("ws://one-refusing.test:" + live.getLocalPort() + "/", TIMEOUT); // 127.0.0.2 refuses, then 127.0.0.1

        assertFalse(failed.recentlyFailed(liveAddress));
    }

    @Test
    void httpClientConnectionsMoveOnToo() throws Exception {
        ServerSocket live = listen("127.0.0.1", 0, 50);

        for (int i = 0; i < 8; i++) {
            CompletionStage<ClientConnection> dialed = dialer.connect(
                    URI.create("http://one-refusing.test:" + live.getLocalPort() + "/"), worker.getIoThread(),
                    TIMEOUT);
            ClientConnection connection = dialed.toCompletableFuture().get(20, TimeUnit.SECONDS);
            opened.add(connection);
            assertEquals("127.0.0.1", connection.getPeerAddress(InetSocketAddress.class).getAddress()
                    .getHostAddress());
        }
    }

    private StreamConnection open(String target, Duration timeout) throws Exception {
        StreamConnection connection = dialer.openStream(URI.create(target), worker.getIoThread(), timeout)
                .toCompletableFuture().get(20, TimeUnit.SECONDS);
        opened.add(connection);
        return connection;
    }

    private static InetSocketAddress peer(StreamConnection connection) {
        return connection.getPeerAddress(InetSocketAddress.class);
    }

    /** A listener that never accepts: connections wait in its queue, which is enough to dial it. */
    private ServerSocket listen(String address, int port, int backlog) throws IOException {
        ServerSocket socket = new ServerSocket();
        opened.add(socket);
        socket.bind(new InetSocketAddress(InetAddress.getByName(address), port), backlog);
        return socket;
    }

    /** A {@link BlackHole} closed after the test. */
    private int blackHole(String address, int port) throws IOException {
        BlackHole hole = BlackHole.open(address, port);
        opened.add(hole);
        return hole.port();
    }
}
