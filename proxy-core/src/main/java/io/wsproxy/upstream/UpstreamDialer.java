package io.wsproxy.upstream;

import io.undertow.UndertowOptions;
import io.undertow.client.ClientConnection;
import io.undertow.client.http.ClientConnectionOverStream;
import io.undertow.connector.ByteBufferPool;
import io.wsproxy.logging.WarningThrottle;
import io.wsproxy.spi.UpstreamException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoFuture;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.StreamConnection;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;
import org.xnio.ssl.SslConnection;

/**
 * Opens connections to targets (plain or TLS) on a given I/O thread: bare ones for the upgrade handshake, or
 * HTTP/1.1 client connections over them. A name with several addresses is dialled from a random one of them, so
 * connections spread over the replicas behind it, moving to the next when one refuses or does not answer within
 * its share of the connect timeout, and trying one that failed in the last ten seconds only after the others
 * (nginx does the same with a name in {@code proxy_pass}). Failing to reach the target is a 502, missing the
 * connect deadline a 504.
 */
public final class UpstreamDialer {
    /** What a TLS handshake's reads go into: it never holds application data, which the conduit keeps. */
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);
    private static final Logger log = LoggerFactory.getLogger(UpstreamDialer.class);
    private static final Pattern LITERAL_IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private final ByteBufferPool bufferPool;
    private final UpstreamTls tls;
    private final OptionMap options;
    private final OptionMap tlsOptions;
    /** A dead replica fails a share of all dials: said at most this often. */
    private final WarningThrottle addressFailureWarnings = new WarningThrottle(Duration.ofSeconds(10));
    private final FailedAddresses failedAddresses;
    /** Connects to an address that failed (refused, unreachable, out of time), for the metrics. */
    private final LongAdder connectFailures = new LongAdder();

    public UpstreamDialer(ByteBufferPool bufferPool, UpstreamTls tls, OptionMap options) {
        this(bufferPool, tls, options, new FailedAddresses());
    }

    UpstreamDialer(ByteBufferPool bufferPool, UpstreamTls tls, OptionMap options, FailedAddresses failedAddresses) {
        this.failedAddresses = failedAddresses;
        this.bufferPool = bufferPool;
        this.tls = tls;
        this.options = options;
        // as Undertow's client: the certificate must name the host dialled
        this.tlsOptions = OptionMap.builder().set(UndertowOptions.ENDPOINT_IDENTIFICATION_ALGORITHM, "HTTPS")
                .addAll(options).getMap();
    }

    /**
     * Connects an HTTP client to {@code target} (any of ws, wss, http, https: only host, port and whether it is TLS
     * matter). The stage completes on {@code ioThread}. A connection that arrives after the deadline is closed, and
     * so is one whose stage was cancelled, at whatever step the dial is.
     */
    public CompletionStage<ClientConnection> connect(URI target, XnioIoThread ioThread, Duration timeout) {
        CompletableFuture<StreamConnection> stream = openStream(target, ioThread, timeout).toCompletableFuture();
        CompletableFuture<ClientConnection> client =
                stream.thenApply(connection -> ClientConnectionOverStream.of(connection, options, bufferPool));
        client.whenComplete((connection, failure) -> {
            if (client.isCancelled()) {
                stream.cancel(false);
            }
        });
        return client;
    }

    /** How many connects to one of a target's addresses failed so far, whether another address answered after. */
    public long connectFailures() {
        return connectFailures.sum();
    }

    /** As {@link #connect}, but the bare connection (TLS wrapped for wss and https), for protocols of our own. */
    public CompletionStage<StreamConnection> openStream(URI target, XnioIoThread ioThread, Duration timeout) {
        Dial dial = new Dial(target, ioThread, timeout);
        URI httpUri;
        try {
            httpUri = toHttp(target);
        } catch (URISyntaxException e) {
            dial.result.completeExceptionally(new UpstreamException(502, "bad upstream URI " + target, e));
            return dial.result;
        }
        dial.start(httpUri);
        return dial.result;
    }

    /**
     * One dial, on its I/O thread once its addresses are known: the addresses, tried one after the other, and the
     * deadline, which settles the result with a 504 when nothing else has.
     */
    private final class Dial {
        final URI target;
        final XnioIoThread ioThread;
        final Duration timeout;
        final long deadlineNanos;
        final CompletableFuture<StreamConnection> result = new CompletableFuture<>();
        XnioExecutor.Key deadline;
        boolean secure;
        int port;
        /** The target's addresses in the order to dial them. */
        InetSocketAddress[] addresses;
        /** How many addresses were dialled; the last of them is the one under way. */
        int attempts;
        IoFuture<? extends StreamConnection> pending;
        /** The connection of the attempt under way while its TLS handshake runs; null otherwise. */
        SslConnection inHandshake;
        /** Ends the attempt under way when more addresses remain: its share of the time left is up. */
        XnioExecutor.Key share;
        /** The addresses that failed and why, for the error when none answers: "a: why; b: why". */
        final StringBuilder failures = new StringBuilder();

        Dial(URI target, XnioIoThread ioThread, Duration timeout) {
            this.target = target;
            this.ioThread = ioThread;
            this.timeout = timeout;
            this.deadlineNanos = System.nanoTime() + timeout.toNanos();
        }

        void start(URI httpUri) {
            result.whenComplete((connection, failure) -> {
                if (result.isCancelled()) {
                    runOn(ioThread, this::cancelled);
                }
            });
            secure = httpUri.getScheme().equals("https");
            port = httpUri.getPort() != -1 ? httpUri.getPort() : secure ? 443 : 80;
            deadline = ioThread.executeAfter(this::deadlinePassed, Math.max(1, timeout.toMillis()),
                    TimeUnit.MILLISECONDS);
            String host = httpUri.getHost();
            if (isLiteralAddress(host)) {
                InetAddress[] literal;
                try {
                    literal = new InetAddress[] {InetAddress.getByName(host)}; // parsed, not looked up
                } catch (UnknownHostException e) {
                    ioThread.execute(() -> fail(new UpstreamException(502, "bad upstream address " + host, e)));
                    return;
                }
                runOn(ioThread, () -> dialAll(literal)); // the dial's state belongs to the I/O thread
                return;
            }
            // the lookup may wait on DNS: it runs on the task pool, never on the I/O thread
            ioThread.getWorker().execute(() -> {
                try {
                    InetAddress[] found = InetAddress.getAllByName(host);
                    ioThread.execute(() -> dialAll(found));
                } catch (UnknownHostException e) {
                    ioThread.execute(() -> fail(new UpstreamException(502, "cannot reach " + describe(target)
                            + ": unknown host " + host, e)));
                }
            });
        }

        void dialAll(InetAddress[] found) {
            if (result.isDone()) {
                return; // timed out while the name was looked up
            }
            int first = found.length == 1 ? 0 : ThreadLocalRandom.current().nextInt(found.length);
            addresses = failedAddresses.order(found, first, port);
            next();
        }

        /** Dials the next address; the ones whose names came from a lookup carry it, for TLS to check. */
        void next() {
            int attempt = attempts++;
            int left = addresses.length - attempt;
            if (left > 1) {
                long shareNanos = (deadlineNanos - System.nanoTime()) / left;
                share = ioThread.executeAfter(() -> shareUsed(attempt), Math.max(1, shareNanos),
                        TimeUnit.NANOSECONDS);
            }
            InetSocketAddress address = addresses[attempt];
            try {
                pending = secure
                        ? tls.ssl().openSslConnection(ioThread, address, ssl -> handshaking(attempt, ssl),
                                tlsOptions)
                        : ioThread.openStreamConnection(address, connection -> connected(attempt, connection),
                                options);
            } catch (RuntimeException e) {
                failed(attempt, e);
                return;
            }
            pending.addNotifier((future, unused) -> {
                if (future.getStatus() == IoFuture.Status.FAILED) {
                    failed(attempt, future.getException());
                }
            }, null);
        }

        /**
         * TLS: the connection is handed over once its handshake is through, so that {@code connectTimeout} (and an
         * address's share of it) covers the handshake, and an address whose TLS stalls or fails (a hung stack, a
         * certificate refused) is left for the next, as one that refuses the connection is. The handshake is driven
         * here: a flush sends what the engine wraps, a read of nothing unwraps what came (application data, were
         * any, stays in the conduit for whoever reads next).
         */
        void handshaking(int attempt, SslConnection connection) {
            if (attempt != attempts - 1 || result.isDone()) {
                IoUtils.safeClose(connection);
                return;
            }
            inHandshake = connection;
            connection.getHandshakeSetter().set(ssl -> {
                if (inHandshake != connection) {
                    return; // given up on meanwhile, and closed
                }
                inHandshake = null;
                connection.getHandshakeSetter().set(null);
                connection.getSourceChannel().getReadSetter().set(null);
                connection.getSourceChannel().suspendReads();
                connection.getSinkChannel().getWriteSetter().set(null);
                connection.getSinkChannel().suspendWrites();
                // not from here: this runs inside the TLS conduit's unwrap (TLS 1.2 ends on one), whose state is
                // not settled until it returns, and the dial's taker writes its request at once
                ioThread.execute(() -> connected(attempt, connection));
            });
            connection.getSourceChannel().getReadSetter().set(channel -> driveHandshake(attempt, connection));
            connection.getSinkChannel().getWriteSetter().set(channel -> driveHandshake(attempt, connection));
            try {
                connection.startHandshake();
            } catch (IOException e) {
                handshakeFailed(attempt, connection, e);
                return;
            }
            connection.getSourceChannel().resumeReads();
            driveHandshake(attempt, connection);
        }

        private void driveHandshake(int attempt, SslConnection connection) {
            if (inHandshake != connection) {
                return;
            }
            try {
                if (connection.getSinkChannel().flush()) {
                    connection.getSinkChannel().suspendWrites();
                } else {
                    connection.getSinkChannel().resumeWrites();
                }
                if (inHandshake == connection && connection.getSourceChannel().read(NOTHING) < 0) {
                    throw new IOException("closed the connection during the TLS handshake");
                }
            } catch (IOException e) {
                handshakeFailed(attempt, connection, e);
            }
        }

        private void handshakeFailed(int attempt, SslConnection connection, IOException e) {
            if (inHandshake == connection) {
                inHandshake = null;
            }
            IoUtils.safeClose(connection);
            failed(attempt, new IOException(UpstreamTls.HANDSHAKE_FAILED + " (" + reason(e) + ")", e));
        }

        /** Stops the attempt under way: its connect, or the TLS handshake of the connection it made. */
        void abandonAttempt() {
            if (pending != null) {
                pending.cancel();
            }
            if (inHandshake != null) {
                IoUtils.safeClose(inHandshake);
                inHandshake = null;
            }
        }

        void connected(int attempt, StreamConnection connection) {
            if (attempt != attempts - 1 || result.isDone()) {
                IoUtils.safeClose(connection); // an address given up on, or past the deadline
                return;
            }
            settled();
            if (addresses.length > 1) {
                failedAddresses.succeeded(addresses[attempt]);
            }
            result.complete(connection);
        }

        void failed(int attempt, Throwable e) {
            if (attempt != attempts - 1 || result.isDone()) {
                return;
            }
            moveOn(attempt, reason(e), e);
        }

        void shareUsed(int attempt) {
            if (attempt == attempts - 1 && !result.isDone()) {
                abandonAttempt();
                moveOn(attempt, "timed out", null);
            }
        }

        /** @param cause the last address's failure, kept as the 502's cause; null when it timed out */
        void moveOn(int attempt, String why, Throwable cause) {
            if (share != null) {
                share.remove();
                share = null;
            }
            connectFailures.increment();
            String address = addresses[attempt].getAddress().getHostAddress();
            if (addresses.length > 1) {
                failedAddresses.failed(addresses[attempt]);
            }
            failures.append(failures.isEmpty() ? "" : "; ").append(address).append(": ").append(why);
            if (attempts < addresses.length) {
                if (addressFailureWarnings.allow()) {
                    log.warn("{}: {} failed ({}), dialling its next address (said at most every 10 s)",
                            describe(target), address, why);
                }
                next();
            } else {
                fail(new UpstreamException(502, "cannot reach " + describe(target)
                        + (addresses.length == 1 ? ": " + why : " (" + failures + ")"), cause));
            }
        }

        void deadlinePassed() {
            if (result.isDone()) {
                return;
            }
            abandonAttempt();
            if (addresses != null) {
                connectFailures.increment(); // the address under way, out of time
            }
            String tried = "";
            if (addresses != null && addresses.length > 1) {
                InetSocketAddress last = addresses[attempts - 1];
                failedAddresses.failed(last);
                tried = " (" + failures + (failures.isEmpty() ? "" : "; ") + last.getAddress().getHostAddress()
                        + ": timed out)";
            }
            fail(new UpstreamException(504, "timed out after " + timeout.toMillis() + " ms connecting to "
                    + describe(target) + tried, null));
        }

        /** The caller gave up (its client went): the connect under way is dropped, and the timers. */
        void cancelled() {
            settled();
            abandonAttempt();
        }

        void fail(UpstreamException e) {
            settled();
            result.completeExceptionally(e);
        }

        void settled() {
            if (deadline != null) {
                deadline.remove();
            }
            if (share != null) {
                share.remove();
            }
        }
    }

    /** Runs {@code task} now when on {@code ioThread}, else queued to it: a dial's state is its thread's alone. */
    static void runOn(XnioIoThread ioThread, Runnable task) {
        if (Thread.currentThread() == ioThread) {
            task.run();
        } else {
            ioThread.execute(task);
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
