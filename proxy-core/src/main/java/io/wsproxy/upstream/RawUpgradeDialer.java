package io.wsproxy.upstream;

import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.ClientExchange;
import io.undertow.client.ClientRequest;
import io.undertow.client.ClientResponse;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.wsproxy.spi.RawUpgrade;
import io.wsproxy.spi.UpstreamException;
import java.io.IOException;
import java.net.URI;
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
 */
public final class RawUpgradeDialer {
    private final UpstreamDialer dialer;

    public RawUpgradeDialer(UpstreamDialer dialer) {
        this.dialer = dialer;
    }

    /** {@code headers} are sent as they are, plus {@code Upgrade}, {@code Connection} and, when absent, {@code Host}. */
    public CompletionStage<RawUpgrade> upgrade(URI uri, HeaderMap headers, XnioIoThread ioThread, Duration timeout) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        CompletableFuture<RawUpgrade> result = new CompletableFuture<>();
        dialer.connect(uri, ioThread, timeout).whenComplete((connection, failure) -> {
            if (failure != null) {
                result.completeExceptionally(failure);
                return;
            }
            long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
            XnioExecutor.Key deadline = ioThread.executeAfter(() -> {
                if (result.completeExceptionally(new UpstreamException(504, "timed out after " + timeout.toMillis()
                        + " ms waiting for the upgrade response of " + UpstreamDialer.describe(uri), null))) {
                    IoUtils.safeClose(connection);
                }
            }, left, TimeUnit.MILLISECONDS);
            result.whenComplete((r, t) -> deadline.remove());
            send(connection, request(uri, headers), result);
        });
        return result;
    }

    private static ClientRequest request(URI uri, HeaderMap headers) {
        ClientRequest request = new ClientRequest().setMethod(Methods.GET).setPath(pathAndQuery(uri));
        HeaderMap out = request.getRequestHeaders();
        out.putAll(headers);
        if (!out.contains(Headers.HOST)) {
            out.put(Headers.HOST, uri.getRawAuthority());
        }
        out.put(Headers.UPGRADE, "websocket");
        out.put(Headers.CONNECTION, Headers.UPGRADE_STRING);
        return request;
    }

    static String pathAndQuery(URI uri) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    }

    private static void send(ClientConnection connection, ClientRequest request, CompletableFuture<RawUpgrade> result) {
        connection.sendRequest(request, new ClientCallback<>() {
            @Override
            public void completed(ClientExchange exchange) {
                exchange.setResponseListener(new ClientCallback<>() {
                    @Override
                    public void completed(ClientExchange done) {
                        answered(connection, done.getResponse(), result);
                    }

                    @Override
                    public void failed(IOException e) {
                        refused(connection, e, result);
                    }
                });
            }

            @Override
            public void failed(IOException e) {
                refused(connection, e, result);
            }
        });
    }

    private static void answered(ClientConnection connection, ClientResponse response, CompletableFuture<RawUpgrade> result) {
        if (result.isDone()) {
            IoUtils.safeClose(connection);
            return;
        }
        if (response.getResponseCode() != 101) {
            IoUtils.safeClose(connection);
            result.complete(new RawUpgrade(response.getResponseCode(), response.getStatus(), response.getResponseHeaders(), null));
            return;
        }
        StreamConnection upgraded;
        try {
            upgraded = connection.performUpgrade();
        } catch (IOException e) {
            refused(connection, e, result);
            return;
        }
        if (!result.complete(new RawUpgrade(101, response.getStatus(), response.getResponseHeaders(), upgraded))) {
            IoUtils.safeClose(upgraded);
        }
    }

    private static void refused(ClientConnection connection, IOException e, CompletableFuture<RawUpgrade> result) {
        IoUtils.safeClose(connection);
        if (result.isDone()) {
            // Undertow fails the exchange again when the upgraded connection closes; the outcome is long settled
            return;
        }
        result.completeExceptionally(new UpstreamException(502,
                "upstream failed during the upgrade: " + UpstreamDialer.reason(e), e));
    }
}
