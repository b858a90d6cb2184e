package io.wsproxy.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket client for tests on the JDK's own implementation (independent of Undertow): whole messages go into
 * a queue; with {@code autoRequest} off it reads only when told, to play a slow reader.
 */
public final class WsClient implements WebSocket.Listener, AutoCloseable {
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    public sealed interface Event permits Text, Binary, Close, Pong, Error {
    }

    public record Text(String text) implements Event {
    }

    public record Binary(byte[] data) implements Event {
    }

    public record Close(int code, String reason) implements Event {
    }

    public record Pong(byte[] data) implements Event {
    }

    public record Error(Throwable error) implements Event {
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final boolean autoRequest;
    private final StringBuilder text = new StringBuilder();
    private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
    private WebSocket socket;

    private WsClient(boolean autoRequest) {
        this.autoRequest = autoRequest;
    }

    public static WsClient connect(URI uri) throws Exception {
        return connect(uri, Map.of(), List.of(), true);
    }

    /** To a wss:// URI, trusting what {@code tls} trusts. */
    public static WsClient connect(URI uri, javax.net.ssl.SSLContext tls) throws Exception {
        return connect(HttpClient.newBuilder().sslContext(tls).build(), uri, Map.of(), List.of(), true);
    }

    public static WsClient connect(URI uri, Map<String, String> headers, List<String> subprotocols, boolean autoRequest)
            throws Exception {
        return connect(HttpClient.newHttpClient(), uri, headers, subprotocols, autoRequest);
    }

    private static WsClient connect(HttpClient http, URI uri, Map<String, String> headers, List<String> subprotocols,
                                    boolean autoRequest) throws Exception {
        WsClient client = new WsClient(autoRequest);
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(TIMEOUT);
        headers.forEach(builder::header);
        if (!subprotocols.isEmpty()) {
            builder.subprotocols(subprotocols.get(0), subprotocols.subList(1, subprotocols.size()).toArray(String[]::new));
        }
        client.socket = builder.buildAsync(uri, client).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        return client;
    }

    /** The status the handshake failed with, or fails if it succeeded. */
    public static int handshakeStatus(URI uri) throws Exception {
        return handshakeRefusal(uri).statusCode();
    }

    /** The response that refused the handshake (status and headers), or fails if the handshake succeeded. */
    public static java.net.http.HttpResponse<?> handshakeRefusal(URI uri) throws Exception {
        try {
            connect(uri).vanish();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                return h.getResponse();
            }
            throw e;
        }
        throw new AssertionError("the handshake to " + uri + " succeeded");
    }

    public WebSocket socket() {
        return socket;
    }

    public String subprotocol() {
        return socket.getSubprotocol();
    }

    public void sendText(String message) throws Exception {
        socket.sendText(message, true).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    public void sendBinary(byte[] message) throws Exception {
        socket.sendBinary(ByteBuffer.wrap(message), true).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    public void close(int code, String reason) throws Exception {
        socket.sendClose(code, reason).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Drops the TCP connection without a close frame. */
    public void vanish() {
        socket.abort();
    }

    public void request(long n) {
        socket.request(n);
    }

    public Event next() throws InterruptedException {
        Event event = events.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (event == null) {
            throw new AssertionError("no WebSocket event within " + TIMEOUT);
        }
        return event;
    }

    public String nextText() throws InterruptedException {
        Event event = next();
        if (event instanceof Text t) {
            return t.text();
        }
        throw new AssertionError("expected a text message, got " + event);
    }

    public byte[] nextBinary() throws InterruptedException {
        Event event = next();
        if (event instanceof Binary b) {
            return b.data();
        }
        throw new AssertionError("expected a binary message, got " + event);
    }

    /** Skips messages until the close arrives. */
    public Close awaitClose() throws InterruptedException {
        while (true) {
            Event event = next();
            if (event instanceof Close c) {
                return c;
            }
            if (event instanceof Error e) {
                return new Close(1006, String.valueOf(e.error()));
            }
        }
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletableFuture<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            events.add(new Text(text.toString()));
            text.setLength(0);
        }
        more(webSocket, last);
        return null;
    }

    @Override
    public CompletableFuture<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        byte[] chunk = new byte[data.remaining()];
        data.get(chunk);
        binary.writeBytes(chunk);
        if (last) {
            events.add(new Binary(binary.toByteArray()));
            binary.reset();
        }
        more(webSocket, last);
        return null;
    }

    @Override
    public CompletableFuture<?> onPong(WebSocket webSocket, ByteBuffer message) {
        byte[] data = new byte[message.remaining()];
        message.get(data);
        events.add(new Pong(data));
        more(webSocket, true);
        return null;
    }

    @Override
    public CompletableFuture<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        events.add(new Close(statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        events.add(new Error(error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error));
    }

    /** A slow reader still takes the rest of a message it started: it is paced by whole messages. */
    private void more(WebSocket webSocket, boolean last) {
        if (autoRequest || !last) {
            webSocket.request(1);
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            socket.abort();
        }
    }

    public List<Event> drain() {
        List<Event> out = new ArrayList<>();
        events.drainTo(out);
        return out;
    }
}
