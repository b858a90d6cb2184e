package io.wsproxy.spi;

import io.undertow.connector.ByteBufferPool;
import io.undertow.util.HeaderMap;
import io.wsproxy.websocket.WebSocketConnection;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.xnio.XnioWorker;

/**
 * What the core offers plugins: dialing upstreams, logging, and shutdown tracking. A plugin that speaks a protocol
 * in messages puts a {@link WebSocketConnection} over its client connection ({@link WebSocketConnection#server}).
 */
public interface ProxyServices {

    XnioWorker worker();

    /** The server's buffer pool (16 KiB direct buffers); every buffer taken from it is freed by its one owner. */
    ByteBufferPool bufferPool();

    /**
     * The server's pool of direct buffers of {@code bufferBytes} (a positive size), made at the first call for that
     * size and shared by every later one: a plugin that moves bytes in bigger or smaller pieces than
     * {@link #bufferPool()}'s takes them from here rather than keeping pools of its own. As there, every buffer taken
     * is freed by its one owner.
     */
    ByteBufferPool bufferPool(int bufferBytes);

    /**
     * Dials {@code uri} (ws or wss) and performs the HTTP upgrade with {@code headers} as the request headers
     * (the caller supplies {@code Sec-WebSocket-Key}, {@code -Version} and any {@code -Extensions}). Completes
     * with the upstream's answer, or exceptionally with {@link UpstreamException} (502 unreachable, 504 timeout).
     * {@code timeout} covers the TCP connect, TLS and the handshake. Called on an I/O thread (as
     * {@link ProxyPlugin#handshake} is), the upstream connection lives on that same thread, so a relay between
     * the two never needs a lock. Cancelling the stage ({@code toCompletableFuture().cancel(false)}, as a plugin
     * does in {@link UpgradeRequest#whenClientLeaves}) gives the dial up and closes what it had opened.
     */
    CompletionStage<RawUpgrade> dialRaw(URI uri, HeaderMap headers, Duration timeout);

    /**
     * Dials {@code uri} (ws, wss, http or https; the latter two mean ws and wss) as a WebSocket client, on the
     * calling I/O thread as {@link #dialRaw} does. {@code headers} are added to the handshake. Completes with a
     * connection not yet started ({@link WebSocketConnection#start}); fails with {@link UpstreamException} as
     * {@link #dialRaw} does, a refused handshake being a 502, and can be cancelled as it can.
     */
    CompletionStage<WebSocketConnection> dialWebSocket(URI uri, HeaderMap headers, Duration timeout);

    /** Writes one access-log line for a closed WebSocket. */
    void accessLog(AccessLogEntry entry);

    /** Tracks an open session so shutdown can close it with 1001; the returned handle forgets it. */
    SessionRegistration register(ProxySession session);
}
