package io.wsproxy.forward.it;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.WebSocketCallback;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Undertow WebSocket server on port 0 that records what it gets and answers as told. The core's
 * {@code EchoBackend} takes bare-text commands, which a forward request (always a JSON value) cannot carry; this one
 * records every message, answers with JSON, closes its connections on the test's word, and floods text (a
 * forwarded server's binary frames are dropped by the proxy, so only text floods reach a client).
 */
final class Backend implements AutoCloseable {
    /** How the backend answers one text message. */
    interface Answer {
        void answer(Backend backend, WebSocketChannel channel, String text);
    }

    /** Answers {@code {"type":"response","got":<message>}}. */
    static final Answer ANSWER = (b, ch, text) ->
            WebSockets.sendText("{\"type\":\"response\",\"got\":" + text + "}", ch, null);
    static final Answer SILENT = (b, ch, text) -> { };
    static final Answer ECHO = (b, ch, text) -> WebSockets.sendText(text, ch, null);
    /** On {@code {"flood":N}}: sends N bytes as 64 KiB JSON strings, each as soon as the socket took the last. */
    static final Answer FLOOD = (b, ch, text) -> {
        Matcher m = Pattern.compile("\\{\"flood\":(\\d+)}").matcher(text);
        if (m.matches()) {
            b.flood(ch, Long.parseLong(m.group(1)));
        }
    };

    static final int FLOOD_MESSAGE_BYTES = 64 * 1024;
    private static final ByteBuffer FLOOD_MESSAGE = ByteBuffer.wrap(
            ("\"" + "x".repeat(FLOOD_MESSAGE_BYTES - 2) + "\"").getBytes(StandardCharsets.US_ASCII)).asReadOnlyBuffer();

    private final Undertow server;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> closed = new LinkedBlockingQueue<>();
    private final List<WebSocketChannel> connections = new CopyOnWriteArrayList<>();
    private final AtomicLong floodSent = new AtomicLong();
    private final AtomicInteger handshakes = new AtomicInteger();

    Backend(Answer answer) {
        server = Undertow.builder()
                .addHttpListener(0, "127.0.0.1")
                .setHandler(countingHandshakes(Handlers.websocket((exchange, channel) -> {
                    connections.add(channel);
                    channel.getCloseSetter().set(ch -> closed.add("closed"));
                    channel.getReceiveSetter().set(new AbstractReceiveListener() {
                        @Override
                        protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage message) {
                            String text = message.getData();
                            received.add(text);
                            answer.answer(Backend.this, ch, text);
                        }
                    });
                    channel.resumeReceives();
                })))
                .build();
        server.start();
    }

    String url() {
        InetSocketAddress address = (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
        return "ws://127.0.0.1:" + address.getPort() + "/";
    }

    String next() throws InterruptedException {
        String message = received.poll(5, TimeUnit.SECONDS);
        if (message == null) {
            throw new AssertionError("backend " + url() + " got nothing");
        }
        return message;
    }

    void awaitClosed() throws InterruptedException {
        if (closed.poll(5, TimeUnit.SECONDS) == null) {
            throw new AssertionError("backend " + url() + " was not closed");
        }
    }

    /**
     * Handshakes this server was asked for: counted before its 101 goes out, so once the proxy has answered its
     * client, the count holds that handshake (the connection callback runs only after the 101 is written).
     */
    int connectionCount() {
        return handshakes.get();
    }

    private HttpHandler countingHandshakes(HttpHandler websocket) {
        return exchange -> {
            handshakes.incrementAndGet();
            websocket.handleRequest(exchange);
        };
    }

    /** Closes every connection from the server's side with {@code code}. */
    void closeConnections(int code, String reason) {
        for (WebSocketChannel channel : connections) {
            WebSockets.sendClose(code, reason, channel, null);
        }
    }

    /** Drops every connection without a close frame. */
    void dropConnections() {
        for (WebSocketChannel channel : connections) {
            org.xnio.IoUtils.safeClose(channel);
        }
    }

    long floodSent() {
        return floodSent.get();
    }

    private void flood(WebSocketChannel channel, long total) {
        if (floodSent.get() >= total) {
            return;
        }
        WebSockets.sendText(FLOOD_MESSAGE.duplicate(), channel, new WebSocketCallback<Void>() {
            @Override
            public void complete(WebSocketChannel ch, Void context) {
                floodSent.addAndGet(FLOOD_MESSAGE_BYTES);
                flood(ch, total);
            }

            @Override
            public void onError(WebSocketChannel ch, Void context, Throwable throwable) {
            }
        });
    }

    @Override
    public void close() {
        server.stop();
    }
}
