package io.wsproxy.upstream;

import io.undertow.connector.ByteBufferPool;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.wsproxy.spi.RawUpgrade;
import io.wsproxy.spi.UpstreamException;
import io.wsproxy.websocket.WebSocketConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.xnio.IoUtils;
import org.xnio.XnioIoThread;

/**
 * Dials WebSocket clients, for plugins that speak a protocol in messages rather than splice bytes. It is the raw
 * upgrade with a key of its own, checked, then a client-side {@link WebSocketConnection} over the upgraded
 * connection: one way to dial, with the same TLS (host name checked), timeout and status mapping as the relay's.
 */
public final class WebSocketDialer {
    /** Whoever dials supplies these; Host comes from the URI dialled, not from a client of ours. */
    private static final Set<HttpString> NOT_COPIED = Set.of(Headers.HOST, Headers.SEC_WEB_SOCKET_KEY,
            Headers.SEC_WEB_SOCKET_VERSION, Headers.SEC_WEB_SOCKET_EXTENSIONS, Headers.SEC_WEB_SOCKET_ACCEPT);

    private final RawUpgradeDialer raw;
    private final ByteBufferPool bufferPool;

    public WebSocketDialer(RawUpgradeDialer raw, ByteBufferPool bufferPool) {
        this.raw = raw;
        this.bufferPool = bufferPool;
    }

    public CompletionStage<WebSocketConnection> dial(URI uri, HeaderMap headers, XnioIoThread ioThread,
                                                     Duration timeout) {
        URI wsUri;
        try {
            wsUri = toWebSocket(uri);
        } catch (URISyntaxException | RuntimeException e) {
            return CompletableFuture.failedFuture(new UpstreamException(502, "bad upstream URI " + uri, e));
        }
        HeaderMap request = new HeaderMap();
        for (HeaderValues values : headers) {
            if (!NOT_COPIED.contains(values.getHeaderName())) {
                request.putAll(values.getHeaderName(), values);
            }
        }
        String key = WebSocketKeys.newKey();
        request.put(Headers.SEC_WEB_SOCKET_KEY, key);
        request.put(Headers.SEC_WEB_SOCKET_VERSION, "13");
        CompletableFuture<RawUpgrade> upgrading = raw.upgrade(wsUri, request, ioThread, timeout).toCompletableFuture();
        CompletableFuture<WebSocketConnection> result = new CompletableFuture<>();
        // cancelling the result cancels the upgrade, which closes what it had opened; an upgrade that won the race
        // is closed here, as no one will take it
        result.whenComplete((connection, failure) -> {
            if (result.isCancelled()) {
                upgrading.cancel(false);
            }
        });
        upgrading.whenComplete((answer, failure) -> {
            if (failure != null) {
                result.completeExceptionally(failure);
                return;
            }
            WebSocketConnection connection;
            try {
                connection = connection(wsUri, key, request.get(Headers.SEC_WEB_SOCKET_PROTOCOL), answer);
            } catch (RuntimeException e) {
                result.completeExceptionally(e instanceof CompletionException && e.getCause() != null
                        ? e.getCause() : e);
                return;
            }
            if (!result.complete(connection)) {
                connection.abort();
            }
        });
        return result;
    }

    private WebSocketConnection connection(URI uri, String key, HeaderValues offered, RawUpgrade answer) {
        if (!answer.upgraded()) {
            throw new CompletionException(new UpstreamException(502, UpstreamDialer.describe(uri)
                    + " refused the WebSocket handshake: " + answer.status() + " " + answer.reason(), null));
        }
        String problem = answerProblem(key, offered, answer.headers());
        if (problem != null) {
            IoUtils.safeClose(answer.connection());
            throw new CompletionException(new UpstreamException(502, UpstreamDialer.describe(uri) + " " + problem,
                    null));
        }
        return WebSocketConnection.client(answer.connection(), bufferPool,
                answer.headers().getFirst(Headers.SEC_WEB_SOCKET_PROTOCOL));
    }

    /**
     * The relay's checks, and what this dialer never offers (RFC 6455 4.1): no extension, and no subprotocol but one
     * of {@code offered}. Else the connection would fail later, at the first frame, with a close code for a peer
     * that never broke the rules it was given.
     */
    private static String answerProblem(String key, HeaderValues offered, HeaderMap answer) {
        String problem = WebSocketKeys.answerProblem(key, answer);
        if (problem != null) {
            return problem;
        }
        String extensions = answer.getFirst(Headers.SEC_WEB_SOCKET_EXTENSIONS);
        if (extensions != null) {
            return "answered with the extension '" + extensions + "', which was not offered";
        }
        String protocol = answer.getFirst(Headers.SEC_WEB_SOCKET_PROTOCOL);
        if (protocol != null && !isOffered(protocol, offered)) {
            return "answered with the subprotocol '" + protocol + "', which was not offered";
        }
        return null;
    }

    private static boolean isOffered(String protocol, HeaderValues offered) {
        if (offered != null) {
            for (String line : offered) {
                for (String token : line.split(",")) {
                    if (token.trim().equals(protocol)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    static URI toWebSocket(URI uri) throws URISyntaxException {
        String scheme = switch (uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT)) {
            case "https", "wss" -> "wss";
            case "http", "ws" -> "ws";
            default -> throw new URISyntaxException(uri.toString(), "scheme must be ws, wss, http or https");
        };
        return new URI(scheme + uri.toString().substring(uri.getScheme().length()));
    }
}
