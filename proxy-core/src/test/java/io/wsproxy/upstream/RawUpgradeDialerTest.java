package io.wsproxy.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import io.wsproxy.spi.RawUpgrade;
import io.wsproxy.spi.UpstreamException;
import io.wsproxy.testing.LeakDetectingPool;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
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
import org.xnio.channels.Channels;

/** The upgrade request on a bare connection, against an upstream that answers byte for byte as scripted. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RawUpgradeDialerTest {
    private static final String SWITCHING = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Accept: abc=\r\n\r\n";

    private XnioWorker worker;
    private LeakDetectingPool pool;
    private RawUpgradeDialer dialer;
    private ServerSocket listener;
    private final CompletableFuture<String> requestSeen = new CompletableFuture<>();

    @BeforeEach
    void start() throws IOException {
        Xnio xnio = Xnio.getInstance();
        worker = xnio.createWorker(OptionMap.EMPTY);
        pool = new LeakDetectingPool(4096);
        dialer = new RawUpgradeDialer(new UpstreamDialer(pool, new UpstreamTls(xnio, null), OptionMap.EMPTY), pool);
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void stop() throws Exception {
        listener.close();
        worker.shutdownNow();
        pool.assertNoLeaks(Duration.ofSeconds(5));
    }

    @Test
    void sendsOneUpgradeRequestAndHandsOverTheBytesBehindThe101() throws Exception {
        CompletableFuture<Socket> upstream = upstreamAnswering(SWITCHING + "early");
        HeaderMap headers = new HeaderMap();
        headers.put(new HttpString("X-Custom"), "one");
        headers.add(new HttpString("X-Custom"), "two");
        headers.put(new HttpString("Connection"), "keep-alive"); // ours says Upgrade, once

        RawUpgrade answer = dial("/chat?room=1", headers, Duration.ofSeconds(5));

        assertTrue(answer.upgraded());
        assertEquals("Switching Protocols", answer.reason());
        assertEquals("abc=", answer.headers().getFirst("Sec-WebSocket-Accept"));
        String request = requestSeen.get(5, TimeUnit.SECONDS);
        assertTrue(request.startsWith("GET /chat?room=1 HTTP/1.1\r\nHost: 127.0.0.1:" + listener.getLocalPort() + "\r\n"),
                request);
        assertTrue(request.contains("\r\nX-Custom: one\r\nX-Custom: two\r\n"), request);
        assertTrue(request.endsWith("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"), request);
        assertFalse(request.contains("keep-alive"), request);
        // what the upstream sent behind its head comes first, then the socket's own bytes
        try (Socket socket = upstream.get(5, TimeUnit.SECONDS)) {
            socket.getOutputStream().write(" late".getBytes(StandardCharsets.US_ASCII));
            assertEquals("early late", readFrom(answer, 10));
        }
        IoUtils.safeClose(answer.connection());
    }

    @Test
    void aRefusalKeepsItsStatusReasonAndHeadersAndClosesTheConnection() throws Exception {
        CompletableFuture<Socket> upstream =
                upstreamAnswering("HTTP/1.1 403 Go Away\r\nX-Why: token\r\nContent-Length: 4\r\n\r\nnope");
        RawUpgrade answer = dial("/", new HeaderMap(), Duration.ofSeconds(5));
        assertEquals(403, answer.status());
        assertEquals("Go Away", answer.reason());
        assertEquals("token", answer.headers().getFirst("X-Why"));
        assertNull(answer.connection());
        assertClosed(upstream.get(5, TimeUnit.SECONDS));
    }

    @Test
    void noBufferToReadTheAnswerIntoFailsTheDialAtOnce() throws Exception {
        CompletableFuture<Socket> upstream = upstreamAnswering("");
        CompletableFuture<RawUpgrade> answer = dialAsync(Duration.ofSeconds(20));
        requestSeen.get(5, TimeUnit.SECONDS);
        pool.refuseAbove(0); // direct memory used up: the answer has nowhere to go
        try {
            Socket socket = upstream.get(5, TimeUnit.SECONDS);
            socket.getOutputStream().write(SWITCHING.getBytes(StandardCharsets.ISO_8859_1));
            // at once, not when the dial's 20 s are up
            ExecutionException failed = assertThrows(ExecutionException.class, () -> answer.get(10, TimeUnit.SECONDS));
            UpstreamException refusal = (UpstreamException) failed.getCause();
            assertEquals(502, refusal.status());
            assertTrue(refusal.getMessage().contains("direct memory"), refusal.getMessage());
            assertClosed(socket);
        } finally {
            pool.refuseAbove(Integer.MAX_VALUE);
        }
    }

    @Test
    void bareLineFeedsAndAHeadInSingleBytesAreRead() throws Exception {
        String head = "HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n";
        CompletableFuture<Socket> upstream = upstreamAnswering("");
        CompletableFuture<RawUpgrade> answer = dialAsync(Duration.ofSeconds(5));
        requestSeen.get(5, TimeUnit.SECONDS);
        try (Socket socket = upstream.get(5, TimeUnit.SECONDS)) {
            OutputStream out = socket.getOutputStream();
            for (byte b : head.getBytes(StandardCharsets.US_ASCII)) {
                out.write(b);
                out.flush();
            }
            RawUpgrade upgraded = answer.get(10, TimeUnit.SECONDS);
            assertTrue(upgraded.upgraded());
            assertEquals("websocket", upgraded.headers().getFirst("Upgrade"));
            IoUtils.safeClose(upgraded.connection());
        }
    }

    @Test
    void aStatusLineWithoutAReasonIsRead() throws Exception {
        CompletableFuture<Socket> upstream = upstreamAnswering("HTTP/1.1 101\r\nUpgrade: websocket\r\n\r\n");
        RawUpgrade answer = dial("/", new HeaderMap(), Duration.ofSeconds(5));
        assertTrue(answer.upgraded());
        assertEquals("", answer.reason());
        IoUtils.safeClose(answer.connection());
        upstream.get(5, TimeUnit.SECONDS).close();
    }

    @Test
    void aMalformedStatusLineIsA502() throws Exception {
        assertRefused("HTTP/1.1 1o1 Switching\r\n\r\n", 502, "malformed status line \"HTTP/1.1 1o1 Switching\"");
    }

    @Test
    void aSpaceBeforeAHeaderColonIsA502() throws Exception {
        assertRefused("HTTP/1.1 101 Switching Protocols\r\nUpgrade : websocket\r\n\r\n", 502, "malformed header line");
    }

    @Test
    void aFoldedHeaderIsA502() throws Exception {
        assertRefused("HTTP/1.1 101 Switching Protocols\r\nX-A: one\r\n two\r\n\r\n", 502, "folded header line");
    }

    @Test
    void aControlCharacterInAHeaderValueIsA502() throws Exception {
        // a bare CR would end the line for some readers and not for others
        assertRefused("HTTP/1.1 101 Switching Protocols\r\nX-A: one\rX-B: two\r\n\r\n", 502, "malformed header line");
    }

    @Test
    void closingWithoutAnAnswerIsA502() throws Exception {
        CompletableFuture<Socket> upstream = upstreamAnswering("HTTP/1.1 101 Swi");
        CompletableFuture<RawUpgrade> answer = dialAsync(Duration.ofSeconds(5));
        requestSeen.get(5, TimeUnit.SECONDS);
        upstream.get(5, TimeUnit.SECONDS).close();
        assertFailure(answer, 502, "closed the connection without answering");
    }

    @Test
    void aHeadLargerThanABufferIsA502() throws Exception {
        CompletableFuture<Socket> upstream =
                upstreamAnswering("HTTP/1.1 101 Switching Protocols\r\nX-Big: " + "a".repeat(5000) + "\r\n\r\n");
        assertFailure(dialAsync(Duration.ofSeconds(5)), 502, "has a head over 4096 bytes");
        assertClosed(upstream.get(5, TimeUnit.SECONDS));
    }

    @Test
    void anUnfinishedHeadTimesOutAs504AndTheConnectionCloses() throws Exception {
        CompletableFuture<Socket> upstream = upstreamAnswering("HTTP/1.1 101 Switching Protocols\r\n");
        assertFailure(dialAsync(Duration.ofMillis(300)), 504, "waiting for the upgrade response");
        assertClosed(upstream.get(5, TimeUnit.SECONDS));
    }

    private void assertRefused(String answer, int status, String message) throws Exception {
        CompletableFuture<Socket> upstream = upstreamAnswering(answer);
        assertFailure(dialAsync(Duration.ofSeconds(5)), status, message);
        assertClosed(upstream.get(5, TimeUnit.SECONDS));
    }

    /** The proxy closed its end: the upstream reads the end of the stream (or a reset, when data was unread). */
    private static void assertClosed(Socket upstream) throws IOException {
        try (upstream) {
            upstream.setSoTimeout(10_000);
            assertEquals(-1, upstream.getInputStream().read(), "the proxy closed the connection");
        } catch (java.net.SocketException reset) {
            assertTrue(String.valueOf(reset.getMessage()).contains("reset"), reset.toString());
        }
    }

    @Test
    void aDialFromAnotherThreadThanTheIoThreadIsSafe() throws Exception {
        // a plugin may dial from any thread; when the connect finishes before the caller has registered for it,
        // the handshake must still start on the I/O thread that runs its listeners
        int dials = 200;
        Thread upstream = new Thread(() -> {
            for (int i = 0; i < dials; i++) {
                try (Socket socket = listener.accept()) {
                    readHead(socket.getInputStream());
                    socket.getOutputStream().write(SWITCHING.getBytes(StandardCharsets.ISO_8859_1));
                    socket.getOutputStream().flush();
                    socket.getInputStream().read(); // until the dialer closes its end
                } catch (IOException e) {
                    return;
                }
            }
        }, "scripted-upstream");
        upstream.setDaemon(true);
        upstream.start();
        for (int i = 0; i < dials; i++) {
            RawUpgrade answer = dial("/", new HeaderMap(), Duration.ofSeconds(5));
            assertTrue(answer.upgraded(), "dial " + i);
            IoUtils.safeClose(answer.connection());
        }
    }

    private static void assertFailure(CompletableFuture<RawUpgrade> answer, int status, String message) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> answer.get(10, TimeUnit.SECONDS));
        UpstreamException failure = assertInstanceOf(UpstreamException.class, e.getCause());
        assertEquals(status, failure.status());
        assertTrue(failure.getMessage().contains(message), failure.getMessage());
    }

    private RawUpgrade dial(String path, HeaderMap headers, Duration timeout) throws Exception {
        return dialer.upgrade(URI.create("ws://127.0.0.1:" + listener.getLocalPort() + path), headers,
                worker.getIoThread(), timeout).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private CompletableFuture<RawUpgrade> dialAsync(Duration timeout) {
        return dialer.upgrade(URI.create("ws://127.0.0.1:" + listener.getLocalPort() + "/"), new HeaderMap(),
                worker.getIoThread(), timeout).toCompletableFuture();
    }

    /**
     * The upstream's socket, once a dial has connected and sent its request: it reads the request head (into
     * {@link #requestSeen}) and writes {@code answer} in one piece. Accepting runs on a thread of its own.
     */
    private CompletableFuture<Socket> upstreamAnswering(String answer) {
        CompletableFuture<Socket> accepted = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                Socket socket = listener.accept();
                accepted.complete(socket);
                requestSeen.complete(readHead(socket.getInputStream()));
                socket.getOutputStream().write(answer.getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
            } catch (IOException e) {
                accepted.completeExceptionally(e);
                requestSeen.completeExceptionally(e);
            }
        }, "scripted-upstream");
        thread.setDaemon(true);
        thread.start();
        return accepted;
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the request ended early: " + head);
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static String readFrom(RawUpgrade answer, int bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(bytes);
        while (buffer.hasRemaining()) {
            if (Channels.readBlocking(answer.connection().getSourceChannel(), buffer, 10, TimeUnit.SECONDS) <= 0) {
                break;
            }
        }
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.ISO_8859_1);
    }
}
