package io.wsproxy.upstream;

import io.undertow.UndertowOptions;
import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.UndertowClient;
import io.undertow.connector.ByteBufferPool;
import io.wsproxy.spi.UpstreamException;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.xnio.IoFuture;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.StreamConnection;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;
import org.xnio.ssl.SslConnection;
import org.xnio.ssl.XnioSsl;

/**
 * Opens connections to targets (plain or TLS) on a given I/O thread: HTTP/1.1 client connections, or bare ones
 * for the upgrade handshake. Failing to reach the target is a 502, missing the connect deadline a 504.
 */
public final class UpstreamDialer {
    private static final Pattern LITERAL_IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private final ByteBufferPool bufferPool;
    private final UpstreamTls tls;
    private final OptionMap options;
    private final OptionMap tlsOptions;

    public UpstreamDialer(ByteBufferPool bufferPool, UpstreamTls tls, OptionMap options) {
        this.bufferPool = bufferPool;
        this.tls = tls;
        this.options = options;
        // as Undertow's client: the certificate must name the host dialled
        this.tlsOptions = OptionMap.builder().set(UndertowOptions.ENDPOINT_IDENTIFICATION_ALGORITHM, "HTTPS")
                .addAll(options).getMap();
    }

    /**
     * Connects an HTTP client to {@code target} (any of ws, wss, http, https: only host, port and whether it is TLS
     * matter). The stage completes on {@code ioThread}. A connection that arrives after the deadline is closed.
     */
    public CompletionStage<ClientConnection> connect(URI target, XnioIoThread ioThread, Duration timeout) {
        return dial(target, ioThread, timeout, this::openClient);
    }

    /** As {@link #connect}, but the bare connection (TLS wrapped for wss and https), for protocols of our own. */
    public CompletionStage<StreamConnection> openStream(URI target, XnioIoThread ioThread, Duration timeout) {
        return dial(target, ioThread, timeout, this::openStream);
    }

    private <C extends Closeable> CompletionStage<C> dial(URI target, XnioIoThread ioThread, Duration timeout,
                                                          Opener<C> opener) {
        Attempt<C> attempt = new Attempt<>(target);
        URI httpUri;
        try {
            httpUri = toHttp(target);
        } catch (URISyntaxException e) {
            attempt.result.completeExceptionally(new UpstreamException(502, "bad upstream URI " + target, e));
            return attempt.result;
        }
        attempt.deadline = ioThread.executeAfter(
                () -> attempt.result.completeExceptionally(new UpstreamException(504,
                        "timed out after " + timeout.toMillis() + " ms connecting to " + describe(target), null)),
                Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
        if (isLiteralAddress(httpUri.getHost())) {
            open(opener, httpUri, ioThread, attempt);
        } else {
            // connecting resolves the name on the I/O thread: look it up on the task pool first, which fills the
            // JVM's address cache, so the connect by name (TLS checks that name) does not wait on DNS
            ioThread.getWorker().execute(() -> {
                try {
                    InetAddress.getAllByName(httpUri.getHost());
                    ioThread.execute(() -> open(opener, httpUri, ioThread, attempt));
                } catch (UnknownHostException e) {
                    ioThread.execute(() -> {
                        attempt.deadline.remove();
                        attempt.result.completeExceptionally(new UpstreamException(502, "cannot reach "
                                + describe(target) + ": unknown host " + httpUri.getHost(), e));
                    });
                }
            });
        }
        return attempt.result;
    }

    private static <C extends Closeable> void open(Opener<C> opener, URI httpUri, XnioIoThread ioThread,
                                                   Attempt<C> attempt) {
        if (attempt.result.isDone()) {
            return; // timed out while the name was looked up
        }
        try {
            opener.open(httpUri, ioThread, attempt);
        } catch (RuntimeException e) {
            attempt.failed(e);
        }
    }

    private void openClient(URI httpUri, XnioIoThread ioThread, Attempt<ClientConnection> attempt) {
        XnioSsl ssl = isTls(httpUri) ? tls.ssl() : null;
        UndertowClient.getInstance().connect(new ClientCallback<>() {
            @Override
            public void completed(ClientConnection connection) {
                attempt.connected(connection);
            }

            @Override
            public void failed(IOException e) {
                attempt.failed(e);
            }
        }, null, httpUri, ioThread, ssl, bufferPool, options);
    }

    private void openStream(URI httpUri, XnioIoThread ioThread, Attempt<StreamConnection> attempt) {
        boolean secure = isTls(httpUri);
        InetSocketAddress address = new InetSocketAddress(httpUri.getHost(),
                httpUri.getPort() != -1 ? httpUri.getPort() : secure ? 443 : 80);
        IoFuture<? extends StreamConnection> opening = secure
                ? tls.ssl().openSslConnection(ioThread, address, ssl -> handshaking(ssl, attempt), tlsOptions)
                : ioThread.openStreamConnection(address, attempt::connected, options);
        opening.addNotifier((future, a) -> {
            if (future.getStatus() == IoFuture.Status.FAILED) {
                attempt.failed(future.getException());
            }
        }, null);
    }

    /** Starts TLS before the first write, as Undertow's own client does (in its ALPN step). */
    private static void handshaking(SslConnection connection, Attempt<StreamConnection> attempt) {
        try {
            connection.startHandshake();
        } catch (IOException e) {
            IoUtils.safeClose(connection);
            attempt.failed(e);
            return;
        }
        attempt.connected(connection);
    }

    private static boolean isTls(URI httpUri) {
        return httpUri.getScheme().equals("https");
    }

    private interface Opener<C extends Closeable> {
        void open(URI httpUri, XnioIoThread ioThread, Attempt<C> attempt);
    }

    /** One dial: its result, settled once, and the deadline that settles it when nothing else has. */
    private static final class Attempt<C extends Closeable> {
        final URI target;
        final CompletableFuture<C> result = new CompletableFuture<>();
        XnioExecutor.Key deadline;

        Attempt(URI target) {
            this.target = target;
        }

        void connected(C connection) {
            deadline.remove();
            if (!result.complete(connection)) {
                IoUtils.safeClose(connection);
            }
        }

        void failed(Throwable e) {
            deadline.remove();
            result.completeExceptionally(new UpstreamException(502, "cannot reach " + describe(target) + ": "
                    + reason(e), e));
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

    /** What went wrong, for a log line or an error body: the message, or the exception's name when it has none. */
    public static String reason(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
