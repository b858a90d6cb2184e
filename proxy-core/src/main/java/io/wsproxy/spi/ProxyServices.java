package io.wsproxy.spi;

import io.undertow.connector.ByteBufferPool;
import io.undertow.util.HeaderMap;
import io.undertow.websockets.core.WebSocketChannel;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.xnio.StreamConnection;
import org.xnio.XnioWorker;

/** What the core offers plugins: dialing upstreams, framing connections, logging, and shutdown tracking. */
public interface ProxyServices {

    XnioWorker worker();

    /** The server's buffer pool (direct buffers); every buffer taken from it is freed by its one owner. */
    ByteBufferPool bufferPool();

    /**
     * Dials {@code uri} (ws or wss) and performs the HTTP upgrade with {@code headers} as the request headers
     * (the caller supplies {@code Sec-WebSocket-Key}, {@code -Version} and any {@code -Extensions}). Completes
     * with the upstream's answer, or exceptionally with {@link UpstreamException} (502 unreachable, 504 timeout).
     * {@code timeout} covers the TCP connect, TLS and the handshake. Called on an I/O thread (as
     * {@link ProxyPlugin#handshake} is), the upstream connection lives on that same thread, so a relay between
     * the two never needs a lock.
     */
    CompletionStage<RawUpgrade> dialRaw(URI uri, HeaderMap headers, Duration timeout);

    /**
     * Dials {@code uri} (ws, wss, http or https; the latter two mean ws and wss) as a framed WebSocket client.
     * {@code headers} are added to the handshake. Fails with {@link UpstreamException} as {@link #dialRaw} does;
     * a refused handshake is a 502.
     */
    CompletionStage<WebSocketChannel> dialWebSocket(URI uri, HeaderMap headers, Duration timeout);

    /**
     * Wraps an upgraded client connection as a framed, server-side WebSocket channel. Set its receive listener,
     * then call {@code resumeReceives()}.
     */
    WebSocketChannel serverChannel(StreamConnection client, String subprotocol);

    /** Writes one access-log line for a closed WebSocket. */
    void accessLog(AccessLogEntry entry);

    /** Tracks an open session so shutdown can close it with 1001; the returned handle forgets it. */
    SessionRegistration register(ProxySession session);
}
