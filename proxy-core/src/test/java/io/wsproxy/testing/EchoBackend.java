package io.wsproxy.testing;

import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.websockets.WebSocketProtocolHandshakeHandler;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketCallback;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.undertow.websockets.core.protocol.Handshake;
import io.undertow.websockets.core.protocol.version13.Hybi13Handshake;
import io.undertow.websockets.extensions.PerMessageDeflateHandshake;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.xnio.IoUtils;
import org.xnio.Options;

/**
 * A real Undertow WebSocket server for tests: echoes text and binary messages, and obeys text commands:
 * {@code close:CODE:REASON} closes with that code, {@code vanish} drops the socket without a close frame,
 * {@code flood:BYTES} sends that many bytes in 64 KiB binary messages as fast as the socket takes them,
 * {@code headers} answers with the upgrade request's headers, {@code uri} with its path and query.
 * Plain HTTP to {@code /status/N} answers N with a WWW-Authenticate header, to {@code /echo-body} with the
 * request's body; any other plain request answers 200 "plain". An upgrade to {@code /cookies} is answered with two
 * Set-Cookie headers on the 101.
 */
public final class EchoBackend implements AutoCloseable {
    public record Closed(int code, String reason) {
    }

    private final Undertow server;
    private final int port;
    private final BlockingQueue<Closed> closes = new LinkedBlockingQueue<>();
    private final BlockingQueue<HeaderMap> handshakes = new LinkedBlockingQueue<>();
    private final AtomicLong floodSent = new AtomicLong();

    public EchoBackend() {
        this(Set.of());
    }

    public EchoBackend(Set<String> subprotocols) {
        this(subprotocols, null);
    }

    /** With {@code tls}, the backend speaks only TLS (wss:// and https://). */
    public EchoBackend(Set<String> subprotocols, javax.net.ssl.SSLContext tls) {
        Hybi13Handshake handshake = new Hybi13Handshake(subprotocols, false);
        WebSocketProtocolHandshakeHandler ws = new WebSocketProtocolHandshakeHandler(
                Set.<Handshake>of(handshake), (io.undertow.websockets.WebSocketConnectionCallback) (exchange, channel) -> {
                    HeaderMap headers = new HeaderMap();
                    exchange.getRequestHeaders().forEach((name, values) -> headers.addAll(
                            io.undertow.util.HttpString.tryFromString(name), values));
                    // the handshake exchange's request URI carries the query already
                    headers.put(io.undertow.util.HttpString.tryFromString(":uri"), exchange.getRequestURI());
                    handshakes.add(headers);
                    channel.getReceiveSetter().set(new Listener());
                    channel.resumeReceives();
                }, plain());
        ws.addExtension(new PerMessageDeflateHandshake());
        Undertow.Builder builder = Undertow.builder();
        if (tls == null) {
            builder.addHttpListener(0, "127.0.0.1");
        } else {
            builder.addHttpsListener(0, "127.0.0.1", tls);
        }
        server = builder
                .setWorkerOption(Options.WORKER_IO_THREADS, 2)
                .setHandler(exchange -> {
                    if (exchange.getRequestPath().startsWith("/status/")) {
                        plain().handleRequest(exchange);
                    } else if (exchange.getRequestPath().equals("/echo-body")) {
                        exchange.getRequestReceiver().receiveFullBytes((ex, body) ->
                                ex.getResponseSender().send(java.nio.ByteBuffer.wrap(body)));
                    } else if (exchange.getRequestPath().equals("/cookies")) {
                        exchange.getResponseHeaders().add(Headers.SET_COOKIE, "a=1; Expires=Wed, 21 Oct 2037 07:28:00 GMT");
                        exchange.getResponseHeaders().add(Headers.SET_COOKIE, "b=2");
                        ws.handleRequest(exchange);
                    } else {
                        ws.handleRequest(exchange);
                    }
                })
                .build();
        server.start();
        port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    private static HttpHandler plain() {
        return exchange -> {
            String path = exchange.getRequestPath();
            if (path.startsWith("/status/")) {
                exchange.setStatusCode(Integer.parseInt(path.substring("/status/".length())));
                exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer realm=\"test\"");
            }
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
            exchange.getResponseSender().send("plain");
        };
    }

    public int port() {
        return port;
    }

    public URI uri(String path) {
        return URI.create("ws://127.0.0.1:" + port + path);
    }

    /** The close the backend received next (what its peer, the proxy, sent it). */
    public Closed nextClose() throws InterruptedException {
        Closed closed = closes.poll(WsClient.TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        if (closed == null) {
            throw new AssertionError("the backend saw no close within " + WsClient.TIMEOUT);
        }
        return closed;
    }

    /** The headers of the next upgrade request the backend accepted ({@code :uri} holds path and query). */
    public HeaderMap nextHandshake() throws InterruptedException {
        HeaderMap headers = handshakes.poll(WsClient.TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        if (headers == null) {
            throw new AssertionError("the backend saw no upgrade within " + WsClient.TIMEOUT);
        }
        return headers;
    }

    public long floodSent() {
        return floodSent.get();
    }

    @Override
    public void close() {
        server.stop();
    }

    private final class Listener extends AbstractReceiveListener {
        @Override
        protected void onFullTextMessage(WebSocketChannel channel, BufferedTextMessage message) {
            String text = message.getData();
            if (text.startsWith("close:")) {
                String[] parts = text.split(":", 3);
                WebSockets.sendClose(Integer.parseInt(parts[1]), parts[2], channel, null);
            } else if (text.equals("vanish")) {
                IoUtils.safeClose(channel);
            } else if (text.startsWith("flood:")) {
                flood(channel, Long.parseLong(text.substring("flood:".length())));
            } else if (text.equals("headers")) {
                WebSockets.sendText(String.valueOf(handshakes.peek()), channel, null);
            } else {
                WebSockets.sendText(text, channel, null);
            }
        }

        @Override
        protected void onFullBinaryMessage(WebSocketChannel channel, BufferedBinaryMessage message) {
            ByteBuffer merged = WebSockets.mergeBuffers(message.getData().getResource());
            message.getData().free();
            WebSockets.sendBinary(merged, channel, null);
        }

        @Override
        protected void onCloseMessage(CloseMessage message, WebSocketChannel channel) {
            closes.add(new Closed(message.getCode(), message.getReason()));
        }

        private void flood(WebSocketChannel channel, long total) {
            int chunk = 64 * 1024;
            long left = total - floodSent.get();
            if (left <= 0) {
                return;
            }
            ByteBuffer data = ByteBuffer.allocate((int) Math.min(chunk, left));
            WebSockets.sendBinary(data, channel, new WebSocketCallback<Void>() {
                @Override
                public void complete(WebSocketChannel ch, Void context) {
                    floodSent.addAndGet(data.capacity());
                    flood(ch, total);
                }

                @Override
                public void onError(WebSocketChannel ch, Void context, Throwable throwable) {
                }
            });
        }
    }
}
