package io.wsproxy.websocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wsproxy.testing.LeakDetectingPool;
import io.wsproxy.testing.RecordingListener;
import io.wsproxy.testing.Stall;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xnio.OptionMap;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

/**
 * The connection against a peer that writes and reads raw frames byte for byte, so every rule of RFC 6455 a peer
 * can break is tried on the wire: no handshake is needed, the connection starts on a bare TCP connection.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WebSocketConnectionTest {
    private static final int FIN = 0x80;
    private static final int MAX_MESSAGE = 1000;

    private XnioWorker worker;
    private LeakDetectingPool pool;
    private ServerSocket listener;
    private Socket peer;
    private InputStream peerIn;
    private OutputStream peerOut;
    private WebSocketConnection connection;
    private final RecordingListener recorder = new RecordingListener();

    @BeforeEach
    void start() throws IOException {
        worker = Xnio.getInstance().createWorker(OptionMap.EMPTY);
        pool = new LeakDetectingPool(4096); // small buffers: messages span several
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void stop() throws Exception {
        if (peer != null) {
            peer.close();
        }
        listener.close();
        if (connection != null) {
            recorder.awaitClosed();
        }
        pool.assertNoLeaks(Duration.ofSeconds(5));
        worker.shutdownNow();
    }

    /** A connection of the given kind, started with {@code recorder} (or a listener wrapping it). */
    private void open(boolean serverSide, Function<RecordingListener, WebSocketConnection.Listener> wrap)
            throws Exception {
        StreamConnection tcp = worker.openStreamConnection(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()), null, OptionMap.EMPTY)
                .getInterruptibly();
        peer = listener.accept();
        peer.setTcpNoDelay(true);
        peer.setSoTimeout(10_000); // a blocking read is deaf to the test timeout's interrupt
        peerIn = peer.getInputStream();
        peerOut = peer.getOutputStream();
        connection = serverSide ? WebSocketConnection.server(tcp, pool, null) : WebSocketConnection.client(tcp, pool, null);
        onIo(() -> {
            connection.start(wrap.apply(recorder), MAX_MESSAGE);
            return null;
        });
    }

    private void openServerSide() throws Exception {
        open(true, r -> r);
    }

    /** What a listener does with a text. */
    private interface Texts {
        void onText(WebSocketConnection connection, byte[] data, int length);
    }

    /** {@code recorder}, but for texts, which go to {@code texts}. */
    private static WebSocketConnection.Listener textsTo(RecordingListener recorder, Texts texts) {
        return new WebSocketConnection.Listener() {
            @Override
            public void onText(WebSocketConnection c, byte[] data, int length) {
                texts.onText(c, data, length);
            }

            @Override
            public void onBinary(WebSocketConnection c, byte[] data, int length) {
                recorder.onBinary(c, data, length);
            }

            @Override
            public void onClosed(WebSocketConnection c, int code, String reason) {
                recorder.onClosed(c, code, reason);
            }
        };
    }

    private <T> T onIo(Callable<T> task) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        worker.getIoThread().execute(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aFragmentedTextWrittenByteByByteWithAPingInsideArrivesWholeAndThePingIsAnswered() throws Exception {
        openServerSide();
        byte[] text = "grüße, 😀 world".getBytes(StandardCharsets.UTF_8);
        // the fragments split both the emoji and the ü between frames: only the whole message must be UTF-8
        byte[] wire = concat(
                frame(0x1, Arrays.copyOfRange(text, 0, 3), true),
                frame(FIN | 0x9, bytes("are you there"), true),
                frame(0x0, Arrays.copyOfRange(text, 3, 10), true),
                frame(FIN | 0x0, Arrays.copyOfRange(text, 10, text.length), true));
        for (byte b : wire) {
            peerOut.write(b);
            peerOut.flush();
        }
        Frame pong = readFrame();
        assertEquals(FIN | 0xa, pong.b0());
        assertFalse(pong.masked(), "a server's frames are not masked");
        assertEquals("are you there", pong.text());
        RecordingListener.Message message = recorder.next();
        assertTrue(message.text());
        assertEquals("grüße, 😀 world", message.asText());
    }

    @Test
    void manyMessagesInOneWriteArriveInOrder() throws Exception {
        openServerSide();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (int i = 0; i < 300; i++) {
            wire.write(frame(FIN | (i % 2 == 0 ? 0x1 : 0x2), bytes("m" + i), true));
        }
        peerOut.write(wire.toByteArray());
        for (int i = 0; i < 300; i++) {
            RecordingListener.Message message = recorder.next();
            assertEquals(i % 2 == 0, message.text());
            assertEquals("m" + i, message.asText());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "an unmasked frame from a client, 1002",
        "a reserved bit set, 1002",
        "an unknown opcode, 1002",
        "a continuation with nothing to continue, 1002",
        "a new message inside a fragmented one, 1002",
        "a fragmented ping, 1002",
        "a ping over 125 bytes, 1002",
        "a text that is not UTF-8, 1007",
        "a message over the limit in fragments, 1009",
        "a close frame of one byte, 1002",
        "a close code that only reports, 1002",
        "a close reason that is not UTF-8, 1007",
    })
    void aBrokenRuleClosesWithItsCodeAndNothingAfterItIsDelivered(String broken, int code) throws Exception {
        openServerSide();
        byte[] bad = switch (broken) {
            case "an unmasked frame from a client" -> frame(FIN | 0x1, bytes("x"), false);
            case "a reserved bit set" -> frame(FIN | 0x40 | 0x1, bytes("x"), true);
            case "an unknown opcode" -> frame(FIN | 0x3, bytes("x"), true);
            case "a continuation with nothing to continue" -> frame(FIN, bytes("x"), true);
            case "a new message inside a fragmented one" -> concat(frame(0x1, bytes("a"), true), frame(FIN | 0x1, bytes("b"), true));
            case "a fragmented ping" -> frame(0x9, bytes("x"), true);
            case "a ping over 125 bytes" -> frame(FIN | 0x9, new byte[126], true);
            case "a text that is not UTF-8" -> frame(FIN | 0x1, new byte[] {'a', (byte) 0xc3, '(', 'b'}, true);
            case "a message over the limit in fragments" -> concat(frame(0x2, new byte[MAX_MESSAGE / 2], true),
                    frame(FIN, new byte[MAX_MESSAGE / 2 + 1], true));
            case "a close frame of one byte" -> frame(FIN | 0x8, new byte[] {3}, true);
            case "a close code that only reports" -> frame(FIN | 0x8, new byte[] {0x03, (byte) 0xed}, true);
            case "a close reason that is not UTF-8" -> frame(FIN | 0x8, new byte[] {0x03, (byte) 0xe8, (byte) 0xff}, true);
            default -> throw new IllegalArgumentException(broken);
        };
        peerOut.write(concat(frame(FIN | 0x1, bytes("before"), true), bad, frame(FIN | 0x1, bytes("after"), true)));
        assertEquals("before", recorder.next().asText());
        Frame close = readFrame();
        assertEquals(FIN | 0x8, close.b0());
        assertEquals(code, close.closeCode());
        assertEquals(-1, peerIn.read(), "the socket closes after the close frame");
        assertEquals(code, recorder.awaitClosed().code());
        assertNull(recorder.poll(), "nothing after the broken frame is delivered");
    }

    @Test
    void aMessageOfExactlyTheLimitPasses() throws Exception {
        openServerSide();
        byte[] data = new byte[MAX_MESSAGE];
        Arrays.fill(data, (byte) 7);
        peerOut.write(frame(FIN | 0x2, data, true));
        assertArrayEquals(data, recorder.next().data());
    }

    @Test
    void thePeersCloseIsEchoedAndReported() throws Exception {
        openServerSide();
        peerOut.write(frame(FIN | 0x8, closePayload(4001, "bye"), true));
        Frame echo = readFrame();
        assertEquals(4001, echo.closeCode());
        assertEquals("bye", echo.closeReason());
        assertEquals(-1, peerIn.read());
        assertEquals(new RecordingListener.Closed(4001, "bye"), recorder.awaitClosed());
    }

    @Test
    void noBufferToReadIntoEndsTheConnectionAtOnce() throws Exception {
        openServerSide();
        pool.refuseAbove(0); // direct memory used up: the next read has nowhere to go
        peerOut.write(frame(FIN | 0x1, "hello".getBytes(StandardCharsets.UTF_8), true));
        assertEquals(1006, recorder.awaitClosed().code());
        try {
            assertEquals(-1, peerIn.read(), "the socket was left open");
        } catch (java.net.SocketException reset) {
            // closed with what the peer sent unread: a reset, as closed as an end
        }
        pool.refuseAbove(Integer.MAX_VALUE);
    }

    @Test
    void noBufferToQueueASendInEndsTheConnectionAfterTheSendWithNothingOfItWritten() throws Exception {
        openServerSide();
        boolean closedDuringSend = onIo(() -> {
            connection.sendText(bytes("whole"), 0, 5);
            pool.refuseAbove(1); // the first buffer holds "whole" and the next message's start; its rest finds none
            byte[] big = new byte[3 * 4096];
            connection.sendBinary(big, 0, big.length);
            connection.sendText(bytes("after"), 0, 5);
            return recorder.isClosed();
        });
        assertFalse(closedDuringSend, "the owner heard of the close inside its own send");
        assertEquals(1006, recorder.awaitClosed().code());
        pool.refuseAbove(Integer.MAX_VALUE);
        // not "whole" either: it shares a buffer with the cut frame, and a cut frame would garble all after it
        try {
            assertEquals(-1, peerIn.read(), "bytes of a cut frame were written, or the socket was left open");
        } catch (java.net.SocketException reset) {
            // closed with what the peer sent unread: a reset, as closed as an end
        }
    }

    @Test
    void aListenerThatThrowsEndsTheConnectionWith1011AndGetsNoFrameTwice() throws Exception {
        AtomicLong texts = new AtomicLong();
        open(true, r -> textsTo(r, (c, data, length) -> {
            texts.incrementAndGet();
            throw new IllegalStateException("a plugin's bug");
        }));
        peerOut.write(concat(frame(FIN | 0x1, bytes("boom"), true), frame(FIN | 0x2, bytes("after"), true)));
        Frame close = readFrame();
        assertEquals(FIN | 0x8, close.b0());
        assertEquals(1011, close.closeCode());
        peerOut.write(frame(FIN | 0x8, closePayload(1011, ""), true));
        assertEquals(1011, recorder.awaitClosed().code());
        assertEquals(1, texts.get(), "the message was handed over again");
        assertNull(recorder.poll(), "nothing after the failure is delivered");
    }

    @Test
    void aPeerThatVanishesIsA1006() throws Exception {
        openServerSide();
        peer.close();
        assertEquals(1006, recorder.awaitClosed().code());
        peer = null;
    }

    @Test
    void ourCloseCutsALongReasonWithoutSplittingACharacterAndWaitsForTheAnswer() throws Exception {
        openServerSide();
        onIo(() -> {
            connection.close(1001, "é".repeat(100));
            return null;
        });
        Frame close = readFrame();
        assertEquals(1001, close.closeCode());
        assertEquals("é".repeat(61), close.closeReason(), "123 bytes hold 61 two-byte characters");
        assertFalse(recorder.isClosed(), "the connection waits for the peer's answer");
        peerOut.write(concat(frame(FIN | 0x1, bytes("late"), true), frame(FIN | 0x8, closePayload(1000, ""), true)));
        assertEquals(new RecordingListener.Closed(1000, ""), recorder.awaitClosed());
        assertNull(recorder.poll(), "a message after our close is not delivered");
    }

    @Test
    void aClientMasksWhatItSendsAndRefusesMaskedFrames() throws Exception {
        open(false, r -> r);
        byte[] big = new byte[70_000]; // spans many 4 KiB buffers and more than one gathering write
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        onIo(() -> {
            connection.sendText(bytes("{\"a\":"), bytes("1}"), 1, bytes("}"));
            connection.sendBinary(big, 0, big.length);
            return null;
        });
        Frame first = readFrame();
        assertTrue(first.masked());
        assertEquals("{\"a\":1}", first.text());
        Frame second = readFrame();
        assertTrue(second.masked());
        assertArrayEquals(big, second.payload());
        peerOut.write(frame(FIN | 0x1, bytes("unmasked is right"), false));
        assertEquals("unmasked is right", recorder.next().asText());
        peerOut.write(frame(FIN | 0x1, bytes("masked is not"), true));
        assertEquals(1002, readFrame().closeCode());
        assertEquals(1002, recorder.awaitClosed().code());
    }

    @Test
    void suspendedReceivesHoldTheRestUntilResumed() throws Exception {
        open(true, r -> textsTo(r, (c, data, length) -> {
            r.onText(c, data, length);
            c.suspendReceives(); // one message per resume
        }));
        peerOut.write(concat(frame(FIN | 0x1, bytes("1"), true), frame(FIN | 0x1, bytes("2"), true),
                frame(FIN | 0x1, bytes("3"), true)));
        assertEquals("1", recorder.next().asText());
        // polled on the I/O thread, after the read event that delivered "1": its other frames stayed undelivered
        assertNull(onIo(recorder::poll), "a suspended connection delivers nothing");
        for (String expected : new String[] {"2", "3"}) {
            onIo(() -> {
                connection.resumeReceives();
                return null;
            });
            assertEquals(expected, recorder.next().asText(), "bytes already read are delivered without a new read");
        }
        onIo(() -> {
            connection.resumeReceives(); // a suspended connection reads nothing, not even the peer's end
            return null;
        });
    }

    @Test
    void whatAPeerDoesNotReadWaitsCountedAndTheOwnerHearsWhenItDrains() throws Exception {
        openServerSide();
        byte[] chunk = new byte[64 * 1024];
        CountDownLatch drained = new CountDownLatch(1);
        int chunks = 0;
        long waiting = 0;
        // until the socket's buffers are full, whatever the kernel lets them grow to (loopback: MiBs)
        while (waiting == 0) {
            assertTrue(chunks < 1024, "64 MiB went into a socket nobody reads");
            long queued = onIo(() -> {
                for (int i = 0; i < 16; i++) {
                    connection.sendBinary(chunk, 0, chunk.length);
                }
                return connection.pendingBytes();
            });
            assertTrue(queued >= 16L * chunk.length, "queued in one turn: " + queued);
            chunks += 16;
            waiting = onIo(() -> { // after the turn's flush
                long pending = connection.pendingBytes();
                if (pending > 0) {
                    connection.whenPendingAtMost(0, drained::countDown);
                }
                return pending;
            });
        }
        assertEquals(1, drained.getCount(), "the owner heard of a drain while bytes still waited");
        DataInputStream in = new DataInputStream(peerIn);
        for (int i = 0; i < chunks; i++) {
            assertEquals(chunk.length, readFrame(in).payload().length);
        }
        assertTrue(drained.await(10, TimeUnit.SECONDS));
        assertEquals(0L, onIo(connection::pendingBytes));
        onIo(() -> {
            connection.abort();
            return null;
        });
    }

    @Test
    void aPeerThatPingsWithoutReadingThePongsStopsBeingReadRatherThanFillingTheHeap() throws Exception {
        openServerSide();
        ByteArrayOutputStream burst = new ByteArrayOutputStream();
        for (int i = 0; i < 512; i++) {
            burst.writeBytes(frame(FIN | 0x9, new byte[125], true));
        }
        byte[] pings = burst.toByteArray();
        long total = 64L << 20; // far more than the kernel's buffers both ways can hold
        AtomicLong sent = new AtomicLong();
        Thread writer = new Thread(() -> {
            try {
                while (sent.get() < total) {
                    peerOut.write(pings);
                    sent.addAndGet(pings.length);
                }
            } catch (IOException closedByTheTest) {
                // the peer's socket was closed under the blocked write
            }
        });
        writer.setDaemon(true);
        writer.start();
        long stalledAt = Stall.await(sent::get);
        long queued = onIo(connection::pendingBytes);
        assertTrue(queued < 1 << 20, "pongs queued for a peer that reads none of them: " + queued + " bytes");
        assertTrue(stalledAt < total, "every ping was read, whatever its pong cost");
        Thread reader = new Thread(() -> {
            try {
                peerIn.transferTo(OutputStream.nullOutputStream());
            } catch (IOException closedByTheTest) {
                // the test is over
            }
        });
        reader.setDaemon(true);
        reader.start();
        writer.join(20_000);
        assertFalse(writer.isAlive(), "a peer that reads its pongs is read again");
        peerOut.write(frame(FIN | 0x1, bytes("after the pings"), true));
        assertEquals("after the pings", recorder.next().asText());
    }

    // ---- the peer's side of the wire

    private record Frame(int b0, boolean masked, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int closeCode() {
            return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
        }

        String closeReason() {
            return new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
        }
    }

    private Frame readFrame() throws IOException {
        return readFrame(new DataInputStream(peerIn));
    }

    private static Frame readFrame(DataInputStream in) throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long length = b1 & 0x7f;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        byte[] mask = new byte[4];
        boolean masked = (b1 & 0x80) != 0;
        if (masked) {
            in.readFully(mask);
        }
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        for (int i = 0; masked && i < payload.length; i++) {
            payload[i] ^= mask[i & 3];
        }
        return new Frame(b0, masked, payload);
    }

    private static byte[] frame(int b0, byte[] payload, boolean mask) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(b0);
        int maskBit = mask ? 0x80 : 0;
        if (payload.length < 126) {
            out.write(maskBit | payload.length);
        } else if (payload.length < 65536) {
            out.write(maskBit | 126);
            out.write(payload.length >>> 8);
            out.write(payload.length);
        } else {
            out.write(maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) ((long) payload.length >>> shift));
            }
        }
        byte[] key = {0x12, 0x34, 0x56, 0x78};
        if (mask) {
            out.writeBytes(key);
        }
        for (int i = 0; i < payload.length; i++) {
            out.write(mask ? payload[i] ^ key[i & 3] : payload[i]);
        }
        return out.toByteArray();
    }

    private static byte[] closePayload(int code, String reason) {
        return concat(new byte[] {(byte) (code >>> 8), (byte) code}, bytes(reason));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
