package org.xnio.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

/** Real sockets on loopback against a real two-thread XNIO worker. */
@Timeout(30)
class PerThreadAcceptorTest {
    private static final InetSocketAddress ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private XnioWorker worker;

    @BeforeEach
    void startWorker() throws IOException {
        worker = Xnio.getInstance().createWorker(OptionMap.create(Options.WORKER_IO_THREADS, 2));
    }

    @AfterEach
    void stopWorker() {
        worker.shutdownNow();
    }

    @Test
    void everyThreadAcceptsAndKeepsWhatItAccepted() throws Exception {
        int connections = 64;
        Set<Thread> acceptingThreads = ConcurrentHashMap.newKeySet();
        Set<String> misplaced = ConcurrentHashMap.newKeySet();
        CountDownLatch opened = new CountDownLatch(connections);
        try (PerThreadAcceptor acceptor = PerThreadAcceptor.start(worker, ANY_PORT, 128, 0, 0, (StreamConnection c) -> {
            acceptingThreads.add(Thread.currentThread());
            if (c.getIoThread() != Thread.currentThread()) {
                misplaced.add(c.getIoThread().getName() + " vs " + Thread.currentThread().getName());
            }
            IoUtils.safeClose(c);
            opened.countDown();
        })) {
            assertTrue(acceptor.address().getPort() > 0, "port 0 becomes a real port");
            for (int i = 0; i < connections; i++) {
                try (Socket socket = new Socket()) {
                    socket.connect(acceptor.address(), 5000);
                }
            }
            assertTrue(opened.await(10, TimeUnit.SECONDS), "every connection reaches the open listener");
        }
        assertEquals(Set.of(), misplaced, "a connection runs on the thread that accepted it");
        // the kernel spreads connections over the listeners by address hash: 64 on one thread would be 2^-63
        assertEquals(2, acceptingThreads.size(), "both I/O threads accept");
    }

    @Test
    void atItsConnectionLimitAThreadAcceptsAgainOnlyOnceOneCloses() throws Exception {
        XnioWorker oneThread = Xnio.getInstance().createWorker(OptionMap.create(Options.WORKER_IO_THREADS, 1));
        BlockingQueue<StreamConnection> accepted = new LinkedBlockingQueue<>();
        try (PerThreadAcceptor acceptor = PerThreadAcceptor.start(oneThread, ANY_PORT, 128, 1, 0, accepted::add);
             Socket first = new Socket();
             Socket second = new Socket()) {
            first.connect(acceptor.address(), 5000);
            second.connect(acceptor.address(), 5000); // the kernel completes it; it waits in the backlog
            StreamConnection one = accepted.poll(10, TimeUnit.SECONDS);
            assertTrue(one != null, "the first connection is accepted");
            // a bounded wait for something that must not happen: with no limit, it happens at once
            assertEquals(null, accepted.poll(500, TimeUnit.MILLISECONDS), "a second one while the first is open");

            IoUtils.safeClose(one);
            StreamConnection two = accepted.poll(10, TimeUnit.SECONDS);
            assertTrue(two != null, "accepted once the first closed");
            IoUtils.safeClose(two);
        } finally {
            oneThread.shutdownNow();
        }
    }

    @Test
    void aPortAnotherAcceptorHoldsIsRefusedNotShared() throws Exception {
        try (PerThreadAcceptor first = PerThreadAcceptor.start(worker, ANY_PORT, 128, 0, 0, IoUtils::safeClose)) {
            assertThrows(BindException.class,
                    () -> PerThreadAcceptor.start(worker, first.address(), 128, 0, 0, IoUtils::safeClose).close());
        }
    }

    @Test
    void aPortAPlainListenerHoldsIsRefused() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), taken.getLocalPort());
            assertThrows(BindException.class,
                    () -> PerThreadAcceptor.start(worker, address, 128, 0, 0, IoUtils::safeClose).close());
        }
    }

    @Test
    void closeReleasesThePort() throws Exception {
        PerThreadAcceptor acceptor = PerThreadAcceptor.start(worker, ANY_PORT, 128, 0, 0, IoUtils::safeClose);
        InetSocketAddress address = acceptor.address();
        acceptor.close();
        // the sockets close once each selector has woken up and dropped their keys: retry, bounded
        ConnectException refused = null;
        for (int attempt = 0; attempt < 200 && refused == null; attempt++) {
            try (Socket socket = new Socket()) {
                socket.connect(address, 1000);
                Thread.onSpinWait();
            } catch (ConnectException e) {
                refused = e;
            } catch (SocketException resetWhileClosing) {
                // a handshake the closing listener had taken into its backlog is reset: not refused yet, retry
            }
        }
        assertTrue(refused != null, "connecting after close() is refused");
        try (ServerSocket again = new ServerSocket()) {
            again.bind(address);
            assertEquals(address.getPort(), again.getLocalPort());
        }
    }
}
