package io.wsproxy.testing;

import io.wsproxy.websocket.WebSocketConnection;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Keeps what a {@link WebSocketConnection} reports, for a test thread to wait on. */
public final class RecordingListener implements WebSocketConnection.Listener {
    public record Message(boolean text, byte[] data) {
        public String asText() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    public record Closed(int code, String reason) {
    }

    private final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Closed> closed = new CompletableFuture<>();

    @Override
    public void onText(WebSocketConnection connection, byte[] data, int length) {
        messages.add(new Message(true, Arrays.copyOf(data, length)));
    }

    @Override
    public void onBinary(WebSocketConnection connection, byte[] data, int length) {
        messages.add(new Message(false, Arrays.copyOf(data, length)));
    }

    @Override
    public void onClosed(WebSocketConnection connection, int code, String reason) {
        closed.complete(new Closed(code, reason));
    }

    public Message next() throws InterruptedException {
        Message message = messages.poll(10, TimeUnit.SECONDS);
        if (message == null) {
            throw new AssertionError("no message within 10 s");
        }
        return message;
    }

    public Message poll() {
        return messages.poll();
    }

    public Closed awaitClosed() throws Exception {
        return closed.get(10, TimeUnit.SECONDS);
    }

    public boolean isClosed() {
        return closed.isDone();
    }
}
