package io.wsproxy.forward.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The JDK's WebSocket client: independent of Undertow, so it checks the proxy rather than agreeing with it. */
final class Client implements AutoCloseable {
    record Closed(int code, String reason) {
    }

    private final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    private final CompletableFuture<Closed> closed = new CompletableFuture<>();
    private final WebSocket socket;

    Client(String url) throws Exception {
        socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create(url), new WebSocket.Listener() {
                    private final StringBuilder partial = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            texts.add(partial.toString());
                            partial.setLength(0);
                        }
                        ws.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                        ws.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                        closed.complete(new Closed(code, reason));
                        return null;
                    }

                    @Override
                    public void onError(WebSocket ws, Throwable error) {
                        closed.completeExceptionally(error);
                    }
                })
                .get(5, TimeUnit.SECONDS);
    }

    Client send(String text) throws Exception {
        socket.sendText(text, true).get(5, TimeUnit.SECONDS);
        return this;
    }

    String next() throws InterruptedException {
        String message = texts.poll(5, TimeUnit.SECONDS);
        if (message == null) {
            throw new AssertionError("client got nothing");
        }
        return message;
    }

    /** Nothing arrives within {@code millis}: for "must not reach the client" checks only. */
    String poll(long millis) throws InterruptedException {
        return texts.poll(millis, TimeUnit.MILLISECONDS);
    }

    Closed awaitClose(long millis) throws Exception {
        return closed.get(millis, TimeUnit.MILLISECONDS);
    }

    boolean isClosed() {
        return closed.isDone();
    }

    void closeNormally() throws Exception {
        socket.sendClose(1000, "bye").get(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        socket.abort();
    }
}
