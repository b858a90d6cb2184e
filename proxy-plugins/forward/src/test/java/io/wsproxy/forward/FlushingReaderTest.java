package io.wsproxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.undertow.server.DefaultByteBufferPool;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.protocol.version13.WebSocket13Channel;
import io.undertow.websockets.extensions.NoopExtensionFunction;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;

/**
 * The frames one read brings are handed out in one read event, at most {@link FlushingReader#FRAMES_PER_EVENT},
 * in order, and no more once the listener suspends receives. Frames are written by a plain socket in one write,
 * so they are all in the server's socket buffer before it starts reading.
 */
@Timeout(20)
class FlushingReaderTest {
    private XnioWorker worker;
    private AcceptingChannel<StreamConnection> server;
    private final CompletableFuture<StreamConnection> accepted = new CompletableFuture<>();
    private Socket client;

    @BeforeEach
    void connect() throws Exception {
        worker = Xnio.getInstance(FlushingReaderTest.class.getClassLoader())
                .createWorker(OptionMap.create(Options.WORKER_IO_THREADS, 1));
        server = worker.createStreamConnectionServer(new InetSocketAddress("127.0.0.1", 0), ch -> {
            try {
                StreamConnection c = ch.accept();
                if (c != null) {
                    accepted.complete(c);
                }
            } catch (java.io.IOException e) {
                accepted.completeExceptionally(e);
            }
        }, OptionMap.EMPTY);
        server.resumeAccepts();
        client = new Socket("127.0.0.1", ((InetSocketAddress) server.getLocalAddress()).getPort());
    }

    @AfterEach
    void close() throws Exception {
        client.close();
        server.close();
        worker.shutdownNow();
    }

    @Test
    void framesAlreadyReadAreHandedOutInOneEventUpToTheBound() throws Exception {
        int count = FlushingReader.FRAMES_PER_EVENT + 36;
        Recorder recorder = read(count, (channel, received) -> { });

        assertTrue(recorder.all.await(10, TimeUnit.SECONDS), "received " + recorder.messages);
        assertEquals(expected(count), recorder.messages);
        assertEquals(List.of(FlushingReader.FRAMES_PER_EVENT, 36), recorder.perEvent());
    }

    @Test
    void nothingAfterAMessageTooBigIsReadAndTheClientGets1009() throws Exception {
        OutputStream out = client.getOutputStream();
        out.write(frames(List.of("m0", "m1 is longer than eight bytes", "m2")));
        out.flush();
        Recorder recorder = new Recorder(1, (channel, received) -> { });
        start(recorder, 8);

        assertTrue(recorder.all.await(10, TimeUnit.SECONDS), "received " + recorder.messages);
        byte[] header = client.getInputStream().readNBytes(2);
        assertEquals(0x88, header[0] & 0xff, "a close frame");
        byte[] payload = client.getInputStream().readNBytes(header[1] & 0x7f);
        assertEquals(1009, ((payload[0] & 0xff) << 8) | (payload[1] & 0xff));
        assertEquals(-1, client.getInputStream().read(), "then the connection ends");
        assertEquals(List.of("m0"), recorder.messages);
        assertEquals(1, recorder.errors.get());
    }

    @Test
    void aListenerThatSuspendsReceivesGetsNoMoreFramesInThatEvent() throws Exception {
        int count = 10;
        Recorder recorder = read(count, (channel, received) -> {
            if (received == 3) {
                channel.suspendReceives();
                channel.getIoThread().executeAfter(channel::resumeReceives, 50, TimeUnit.MILLISECONDS);
            }
        });

        assertTrue(recorder.all.await(10, TimeUnit.SECONDS), "received " + recorder.messages);
        assertEquals(expected(count), recorder.messages);
        assertEquals(3, recorder.perEvent().get(0));
    }

    /** Writes {@code count} text frames in one write, then starts a server channel reading them. */
    private Recorder read(int count, BiConsumer<WebSocketChannel, Integer> afterEachMessage) throws Exception {
        OutputStream out = client.getOutputStream();
        out.write(frames(expected(count)));
        out.flush();
        Recorder recorder = new Recorder(count, afterEachMessage);
        start(recorder, 1 << 20);
        return recorder;
    }

    private void start(Recorder recorder, long maxMessageBytes) throws Exception {
        StreamConnection connection = accepted.get(10, TimeUnit.SECONDS);
        connection.getIoThread().execute(() -> {
            WebSocketChannel channel = new WebSocket13Channel(connection, new DefaultByteBufferPool(true, 16 * 1024),
                    null, null, false, false, NoopExtensionFunction.INSTANCE, new HashSet<>(), OptionMap.EMPTY);
            channel.getReceiveSetter().set(recorder.reader(TurnFlusher.install(channel), maxMessageBytes));
            channel.resumeReceives();
        });
    }

    private static List<String> expected(int count) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            texts.add("m" + i);
        }
        return texts;
    }

    /** Masked text frames (a zero mask: the payload reads as it is), each under 126 bytes. */
    private static byte[] frames(List<String> texts) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String text : texts) {
            byte[] payload = text.getBytes(StandardCharsets.US_ASCII);
            bytes.write(0x81);
            bytes.write(0x80 | payload.length);
            bytes.writeBytes(new byte[4]);
            bytes.writeBytes(payload);
        }
        return bytes.toByteArray();
    }

    private static final class Recorder {
        final List<String> messages = new CopyOnWriteArrayList<>();
        /** For each message, the read event that delivered it: recorded before the message counts as arrived. */
        final List<Integer> eventOfMessage = new CopyOnWriteArrayList<>();
        final AtomicInteger events = new AtomicInteger();
        final AtomicInteger errors = new AtomicInteger();
        final CountDownLatch all;
        private final BiConsumer<WebSocketChannel, Integer> afterEachMessage;

        Recorder(int count, BiConsumer<WebSocketChannel, Integer> afterEachMessage) {
            this.all = new CountDownLatch(count);
            this.afterEachMessage = afterEachMessage;
        }

        /** How many messages each read event that delivered any delivered, in order. */
        List<Integer> perEvent() {
            List<Integer> counts = new ArrayList<>();
            int previous = -1;
            for (int event : eventOfMessage) {
                if (event == previous) {
                    counts.set(counts.size() - 1, counts.get(counts.size() - 1) + 1);
                } else {
                    counts.add(1);
                    previous = event;
                }
            }
            return counts;
        }

        FlushingReader reader(TurnFlusher flusher, long maxMessageBytes) {
            return new FlushingReader(flusher, maxMessageBytes) {
                @Override
                public void handleEvent(WebSocketChannel channel) {
                    events.incrementAndGet();
                    super.handleEvent(channel);
                }

                @Override
                protected void onError(WebSocketChannel channel, Throwable error) {
                    errors.incrementAndGet();
                    super.onError(channel, error);
                }

                @Override
                protected void onFullTextMessage(WebSocketChannel channel, BufferedTextMessage message) {
                    eventOfMessage.add(events.get());
                    messages.add(message.getData());
                    all.countDown();
                    afterEachMessage.accept(channel, messages.size());
                }
            };
        }
    }
}
