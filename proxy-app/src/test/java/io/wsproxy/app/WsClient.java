package io.wsproxy.app;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A JDK WebSocket client that queues whole messages and the close, for tests to take in order. */
final class WsClient implements WebSocket.Listener {
    static final Duration WAIT = Duration.ofSeconds(10);

    /** One event: {@code text}, {@code binary} (bytes), or {@code close} (code and reason). */
    record Event(String kind, String text, byte[] bytes, int code) {
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final StringBuilder text = new StringBuilder();
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
    final WebSocket socket;

    private WsClient(URI uri) throws Exception {
        socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .connectTimeout(WAIT)
                .buildAsync(uri, this)
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    static WsClient connect(String uri) throws Exception {
        return new WsClient(URI.create(uri));
    }

    /** The next event; fails the test when none comes in time. */
    Event next() throws InterruptedException {
        Event e = events.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (e == null) {
            throw new AssertionError("no WebSocket event within " + WAIT);
        }
        return e;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            events.add(new Event("text", text.toString(), null, 0));
            text.setLength(0);
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        byte[] chunk = new byte[data.remaining()];
        data.get(chunk);
        binary.writeBytes(chunk);
        if (last) {
            events.add(new Event("binary", null, binary.toByteArray(), 0));
            binary.reset();
        }
        ws.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        events.add(new Event("close", reason, null, statusCode));
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        events.add(new Event("error", String.valueOf(error), null, 0));
    }
}
