package io.wsproxy.upstream;

import io.undertow.connector.ByteBufferPool;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.websockets.client.WebSocketClient;
import io.undertow.websockets.client.WebSocketClientNegotiation;
import io.undertow.websockets.core.WebSocketChannel;
import io.wsproxy.spi.UpstreamException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.xnio.IoFuture;
import org.xnio.IoUtils;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;
import org.xnio.XnioWorker;

/** Dials framed WebSocket clients (for plugins that speak a protocol rather than splice bytes). */
public final class WebSocketDialer {
    private final XnioWorker worker;
    private final ByteBufferPool bufferPool;
    private final UpstreamTls tls;

    public WebSocketDialer(XnioWorker worker, ByteBufferPool bufferPool, UpstreamTls tls) {
        this.worker = worker;
        this.bufferPool = bufferPool;
        this.tls = tls;
    }

    public CompletionStage<WebSocketChannel> dial(URI uri, HeaderMap headers, Duration timeout) {
        CompletableFuture<WebSocketChannel> result = new CompletableFuture<>();
        URI wsUri;
        try {
            wsUri = toWebSocket(uri);
        } catch (URISyntaxException | RuntimeException e) {
            result.completeExceptionally(new UpstreamException(502, "bad upstream URI " + uri, e));
            return result;
        }
        IoFuture<WebSocketChannel> future;
        try {
            WebSocketClient.ConnectionBuilder builder = WebSocketClient.connectionBuilder(worker, bufferPool, wsUri)
                    .setClientNegotiation(new HeaderAddingNegotiation(headers));
            if (wsUri.getScheme().equals("wss")) {
                builder.setSsl(tls.ssl());
            }
            future = builder.connect();
        } catch (RuntimeException e) {
            result.completeExceptionally(new UpstreamException(502, "cannot reach " + UpstreamDialer.describe(wsUri)
                    + ": " + UpstreamDialer.reason(e), e));
            return result;
        }
        XnioIoThread timer = worker.getIoThread();
        XnioExecutor.Key deadline = timer.executeAfter(() -> {
            if (result.completeExceptionally(new UpstreamException(504, "timed out after " + timeout.toMillis()
                    + " ms connecting to " + UpstreamDialer.describe(wsUri), null))) {
                future.cancel();
            }
        }, Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        future.addNotifier(new IoFuture.HandlingNotifier<WebSocketChannel, Void>() {
            @Override
            public void handleDone(WebSocketChannel channel, Void attachment) {
                deadline.remove();
                if (!result.complete(channel)) {
                    IoUtils.safeClose(channel);
                }
            }

            @Override
            public void handleFailed(java.io.IOException e, Void attachment) {
                deadline.remove();
                result.completeExceptionally(new UpstreamException(502, "cannot open a WebSocket to "
                        + UpstreamDialer.describe(wsUri) + ": " + UpstreamDialer.reason(e), e));
            }

            @Override
            public void handleCancelled(Void attachment) {
                deadline.remove();
            }
        }, null);
        return result;
    }

    static URI toWebSocket(URI uri) throws URISyntaxException {
        String scheme = switch (uri.getScheme()) {
            case "https", "wss" -> "wss";
            case "http", "ws" -> "ws";
            default -> throw new URISyntaxException(uri.toString(), "scheme must be ws, wss, http or https");
        };
        return new URI(scheme + uri.toString().substring(uri.getScheme().length()));
    }

    /** Adds the rule's upstream headers to the client handshake. */
    private static final class HeaderAddingNegotiation extends WebSocketClientNegotiation {
        private final HeaderMap headers;

        HeaderAddingNegotiation(HeaderMap headers) {
            super(List.of(), List.of());
            this.headers = headers;
        }

        @Override
        public void beforeRequest(Map<String, List<String>> request) {
            for (HeaderValues values : headers) {
                // the client library writes Host from the URI it dials; a copied client Host would name us
                if (!values.getHeaderName().equals(Headers.HOST)) {
                    request.put(values.getHeaderName().toString(), new ArrayList<>(values));
                }
            }
        }
    }
}
