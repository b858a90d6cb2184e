package io.wsproxy.upstream;

import io.undertow.connector.ByteBufferPool;
import io.undertow.util.HeaderMap;
import io.wsproxy.spi.RawUpgrade;
import io.wsproxy.spi.UpstreamException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;

/**
 * Sends a WebSocket upgrade request upstream and hands back the raw connection after the 101, so the relay can
 * splice bytes: the upstream negotiates subprotocol and extensions with the client's own offer, end to end.
 * The request goes out on a bare connection rather than through an HTTP client: an upgrade is one request and
 * one response head, and a handshake is what connection churn pays for.
 */
public final class RawUpgradeDialer {
    private final UpstreamDialer dialer;
    private final ByteBufferPool bufferPool;

    /** @param bufferPool buffers for reading the answer's head, which must fit one */
    public RawUpgradeDialer(UpstreamDialer dialer, ByteBufferPool bufferPool) {
        this.dialer = dialer;
        this.bufferPool = bufferPool;
    }

    /** {@code headers} are sent as they are, plus {@code Upgrade}, {@code Connection} and, when absent, {@code Host}. */
    public CompletionStage<RawUpgrade> upgrade(URI uri, HeaderMap headers, XnioIoThread ioThread, Duration timeout) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        ByteBuffer request = UpgradeHandshake.request(pathAndQuery(uri), uri.getRawAuthority(), headers);
        CompletableFuture<RawUpgrade> result = new CompletableFuture<>();
        CompletableFuture<StreamConnection> connecting = dialer.openStream(uri, ioThread, timeout)
                .toCompletableFuture();
        result.whenComplete((answer, failure) -> {
            if (result.isCancelled()) {
                connecting.cancel(false); // the caller gave up while the connect was under way
            }
        });
        connecting.whenComplete((connection, failure) -> {
            if (failure != null) {
                result.completeExceptionally(failure);
            } else if (result.isDone()) {
                IoUtils.safeClose(connection); // cancelled as it connected
            } else {
                // a caller off the I/O thread may register after the connect had finished: the handshake's
                // listeners run on the I/O thread, so it must start there too
                UpstreamDialer.runOn(ioThread,
                        () -> handshake(uri, connection, request, ioThread, deadlineNanos, timeout, result));
            }
        });
        return result;
    }

    private void handshake(URI uri, StreamConnection connection, ByteBuffer request, XnioIoThread ioThread,
                           long deadlineNanos, Duration timeout, CompletableFuture<RawUpgrade> result) {
        UpgradeHandshake handshake = new UpgradeHandshake(connection, request, bufferPool, result);
        long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        XnioExecutor.Key deadline = ioThread.executeAfter(() -> {
            if (result.completeExceptionally(new UpstreamException(504, "timed out after " + timeout.toMillis()
                    + " ms waiting for the upgrade response of " + UpstreamDialer.describe(uri), null))) {
                handshake.abandon();
            }
        }, left, TimeUnit.MILLISECONDS);
        result.whenComplete((r, t) -> {
            deadline.remove();
            if (result.isCancelled()) {
                // the caller gave up during the handshake: the connection is closed, never handed over
                UpstreamDialer.runOn(ioThread, handshake::abandon);
            }
        });
        handshake.start();
    }

    static String pathAndQuery(URI target) {
        // a URI may hold characters beyond ASCII (a plugin's, taken from JSON), which the ISO-8859-1 request line
        // would mangle: they go as their UTF-8 escapes, as a browser sends them
        String ascii = target.toASCIIString();
        URI uri = ascii.equals(target.toString()) ? target : URI.create(ascii); // parsed again only when it changed
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    }
}
