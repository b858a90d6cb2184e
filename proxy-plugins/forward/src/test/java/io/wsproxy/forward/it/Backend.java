package io.wsproxy.forward.it;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real Undertow WebSocket server on port 0 that records what it gets and answers as told. The core's
 * {@code EchoBackend} takes bare-text commands, which a forward request (always a JSON value) cannot carry; this one
 * records every message, answers with JSON and closes its connections on the test's word.
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

    private final Undertow server;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> closed = new LinkedBlockingQueue<>();
    private final List<WebSocketChannel> connections = new CopyOnWriteArrayList<>();

    Backend(Answer answer) {
        server = Undertow.builder()
                .addHttpListener(0, "127.0.0.1")
                .setHandler(Handlers.websocket((exchange, channel) -> {
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
                }))
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

    int connectionCount() {
        return connections.size();
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

    @Override
    public void close() {
        server.stop();
    }
}
