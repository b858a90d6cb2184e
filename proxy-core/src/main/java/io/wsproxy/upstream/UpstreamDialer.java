package io.wsproxy.upstream;

import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.UndertowClient;
import io.undertow.connector.ByteBufferPool;
import io.wsproxy.spi.UpstreamException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;
import org.xnio.ssl.XnioSsl;

/**
 * Opens HTTP/1.1 connections to targets (plain or TLS) on a given I/O thread, with one deadline for the
 * TCP connect and TLS. Failing to reach the target is a 502, missing the deadline a 504.
 */
public final class UpstreamDialer {
    private static final Pattern LITERAL_IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private final ByteBufferPool bufferPool;
    private final UpstreamTls tls;
    private final OptionMap options;

    public UpstreamDialer(ByteBufferPool bufferPool, UpstreamTls tls, OptionMap options) {
        this.bufferPool = bufferPool;
        this.tls = tls;
        this.options = options;
    }

    /**
     * Connects to {@code target} (any of ws, wss, http, https: only host, port and whether it is TLS matter).
     * The stage completes on {@code ioThread}. A connection that arrives after the deadline is closed.
     */
    public CompletionStage<ClientConnection> connect(URI target, XnioIoThread ioThread, Duration timeout) {
        CompletableFuture<ClientConnection> result = new CompletableFuture<>();
        URI httpUri;
        try {
            httpUri = toHttp(target);
        } catch (URISyntaxException e) {
            result.completeExceptionally(new UpstreamException(502, "bad upstream URI " + target, e));
            return result;
        }
        XnioExecutor.Key deadline = ioThread.executeAfter(
                () -> result.completeExceptionally(new UpstreamException(504,
                        "timed out after " + timeout.toMillis() + " ms connecting to " + describe(target), null)),
                Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        if (isLiteralAddress(httpUri.getHost())) {
            open(target, httpUri, ioThread, deadline, result);
        } else {
            // the client library resolves the name on the I/O thread: look it up on the task pool first, which
            // fills the JVM's address cache, so the connect by name (TLS checks that name) does not wait on DNS
            ioThread.getWorker().execute(() -> {
                try {
                    InetAddress.getAllByName(httpUri.getHost());
                    ioThread.execute(() -> open(target, httpUri, ioThread, deadline, result));
                } catch (UnknownHostException e) {
                    ioThread.execute(() -> {
                        deadline.remove();
                        result.completeExceptionally(new UpstreamException(502, "cannot reach " + describe(target)
                                + ": unknown host " + httpUri.getHost(), e));
                    });
                }
            });
        }
        return result;
    }

    private void open(URI target, URI httpUri, XnioIoThread ioThread, XnioExecutor.Key deadline,
                      CompletableFuture<ClientConnection> result) {
        if (result.isDone()) {
            return; // timed out while the name was looked up
        }
        XnioSsl ssl = httpUri.getScheme().equals("https") ? tls.ssl() : null;
        try {
            UndertowClient.getInstance().connect(new ClientCallback<>() {
                @Override
                public void completed(ClientConnection connection) {
                    deadline.remove();
                    if (!result.complete(connection)) {
                        IoUtils.safeClose(connection);
                    }
                }

                @Override
                public void failed(IOException e) {
                    deadline.remove();
                    result.completeExceptionally(new UpstreamException(502,
                            "cannot reach " + describe(target) + ": " + reason(e), e));
                }
            }, null, httpUri, ioThread, ssl, bufferPool, options);
        } catch (RuntimeException e) {
            deadline.remove();
            result.completeExceptionally(new UpstreamException(502, "cannot reach " + describe(target) + ": " + reason(e), e));
        }
    }

    /** An IPv4 or IPv6 literal, which needs no lookup. */
    static boolean isLiteralAddress(String host) {
        return host.startsWith("[") || host.indexOf(':') >= 0 || LITERAL_IPV4.matcher(host).matches();
    }

    static URI toHttp(URI target) throws URISyntaxException {
        String scheme = switch (target.getScheme().toLowerCase(Locale.ROOT)) {
            case "wss", "https" -> "https";
            default -> "http";
        };
        return new URI(scheme, null, target.getHost(), target.getPort(), null, null, null);
    }

    static String describe(URI target) {
        return target.getScheme() + "://" + target.getRawAuthority();
    }

    static String reason(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
