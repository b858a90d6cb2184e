package org.xnio.nio;

import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.net.ExtendedSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.XnioIoThread;
import org.xnio.XnioWorker;

/**
 * Accepts TCP connections on every I/O thread of an XNIO worker, each thread through its own {@code SO_REUSEPORT}
 * listening socket, and keeps every connection on the thread that accepted it, as nginx's workers do.
 *
 * <p>Why: XNIO 3.8 always accepts on one extra thread and hands each socket to an I/O thread (a queued task and a
 * selector wake-up per connection, plus {@code SO_KEEPALIVE}/{@code SO_OOBINLINE} set on every socket); with
 * short-lived WebSockets that thread alone took about 13 % of the proxy's CPU. This class lives in XNIO's package
 * because what it builds on ({@code NioHandle}, {@code NioSocketStreamConnection}, {@code WorkerThread}) is
 * package-private there; XNIO's own {@code NioTcpServer} uses them the same way. The xnio-nio version is pinned
 * in the parent pom, and {@code PerThreadAcceptorTest} checks the behaviour this class relies on.
 */
public final class PerThreadAcceptor implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(PerThreadAcceptor.class);
    /** Connections taken per readiness event before the thread serves its other sockets again. */
    private static final int ACCEPTS_PER_EVENT = 16;
    /** How long a thread stops accepting after a failed accept (usually: out of file descriptors). */
    private static final long BACK_OFF_MILLIS = 100;
    /** After the idle time, keep-alive probes go this often, and this many unanswered ones end the connection. */
    private static final int KEEP_ALIVE_INTERVAL_SECONDS = 15;
    private static final int KEEP_ALIVE_PROBES = 4;
    /** At most one "connection limit reached" warning per thread in this time. */
    private static final long LIMIT_WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final List<Listener> listeners;
    private final InetSocketAddress address;

    private PerThreadAcceptor(List<Listener> listeners, InetSocketAddress address) {
        this.listeners = listeners;
        this.address = address;
    }

    /**
     * Binds one listening socket per I/O thread of {@code worker} to {@code bind} (port 0: one free port for all)
     * and starts accepting; every accepted connection is passed to {@code openListener} on its own thread.
     *
     * @param maxConnections how many accepted connections may be open at once (0: no limit), shared evenly by the
     *                       threads (each share rounded up); a thread at its share stops accepting until one of
     *                       its connections closes, and new ones wait in the kernel's backlog meanwhile
     * @param keepAliveIdleSeconds after how long without a packet from a client the kernel starts probing it with
     *                       TCP keep-alives ({@value #KEEP_ALIVE_PROBES} probes {@value #KEEP_ALIVE_INTERVAL_SECONDS} s
     *                       apart, then the connection fails as if reset), so a client that vanished without a
     *                       FIN (switched off, out of coverage) does not hold its connection for ever; 0: none
     */
    public static PerThreadAcceptor start(XnioWorker worker, InetSocketAddress bind, int backlog, int maxConnections,
                                          int keepAliveIdleSeconds, ChannelListener<? super StreamConnection> openListener)
            throws IOException {
        if (!(worker instanceof NioXnioWorker nio)) {
            throw new IllegalArgumentException("needs XNIO's NIO worker, got " + worker.getClass().getName());
        }
        if (WorkerThread.getCurrent() != null) {
            throw new IllegalStateException("start() waits for the I/O threads, so it cannot run on one");
        }
        if (maxConnections < 0) {
            throw new IllegalArgumentException("maxConnections must be 0 (no limit) or more, got " + maxConnections);
        }
        if (keepAliveIdleSeconds < 0) {
            throw new IllegalArgumentException("keepAliveIdleSeconds must be 0 (none) or more, got " + keepAliveIdleSeconds);
        }
        InetSocketAddress address = claim(bind);
        List<Listener> listeners = new ArrayList<>();
        WorkerThread[] threads = nio.getAll();
        int share = maxConnections == 0 ? 0 : (maxConnections + threads.length - 1) / threads.length;
        try {
            for (WorkerThread thread : threads) {
                ServerSocketChannel channel = ServerSocketChannel.open();
                try {
                    channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                    channel.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                    channel.configureBlocking(false);
                    if (keepAliveIdleSeconds > 0) {
                        keepAliveTimings(channel, keepAliveIdleSeconds);
                    }
                    channel.bind(address, backlog);
                } catch (IOException | RuntimeException e) {
                    IoUtils.safeClose(channel);
                    throw e;
                }
                listeners.add(register(thread, channel, share, keepAliveIdleSeconds > 0, openListener));
            }
        } catch (IOException | RuntimeException e) {
            listeners.forEach(Listener::close);
            throw e;
        }
        return new PerThreadAcceptor(List.copyOf(listeners), address);
    }

    /** Accepted sockets inherit these from the listener: no extra calls per connection. */
    private static void keepAliveTimings(ServerSocketChannel channel, int idleSeconds) throws IOException {
        try {
            channel.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, idleSeconds);
            channel.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, KEEP_ALIVE_INTERVAL_SECONDS);
            channel.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, KEEP_ALIVE_PROBES);
        } catch (UnsupportedOperationException e) {
            log.warn("this platform does not let TCP keep-alive timings be set; its defaults apply (often 2 hours idle)");
        }
    }

    /**
     * Binds {@code bind} once without {@code SO_REUSEPORT} and lets go: the port is free for us (port 0: picks one),
     * and not shared with another process that listens with {@code SO_REUSEPORT}, which would silently split the
     * connections with us instead of failing with "Address already in use".
     */
    private static InetSocketAddress claim(InetSocketAddress bind) throws IOException {
        if (bind.isUnresolved()) {
            // bind() would throw UnresolvedAddressException, which has no message at all
            throw new BindException(bind.getHostString() + ":" + bind.getPort() + ": unknown host");
        }
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
            probe.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            try {
                probe.bind(bind, 1);
            } catch (BindException e) {
                BindException named = new BindException(bind.getHostString() + ":" + bind.getPort() + ": " + e.getMessage());
                named.initCause(e);
                throw named;
            }
            return (InetSocketAddress) probe.getLocalAddress();
        }
    }

    private static Listener register(WorkerThread thread, ServerSocketChannel channel, int maxConnections,
                                     boolean keepAlive, ChannelListener<? super StreamConnection> openListener)
            throws IOException {
        CompletableFuture<Listener> registered = new CompletableFuture<>();
        thread.execute(() -> {
            try {
                SelectionKey key = thread.registerChannel(channel);
                Listener listener = new Listener(thread, key, channel, maxConnections, keepAlive, openListener);
                key.attach(listener);
                listener.resume(SelectionKey.OP_ACCEPT);
                registered.complete(listener);
            } catch (Throwable t) {
                registered.completeExceptionally(t);
            }
        });
        try {
            return registered.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            IoUtils.safeClose(channel);
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            IoUtils.safeClose(channel);
            throw new IOException("I/O thread " + thread.getName() + " did not register the listening socket", e);
        } catch (InterruptedException e) {
            IoUtils.safeClose(channel);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting to listen", e);
        }
    }

    /** The bound address (with the real port when port 0 was asked for). */
    public InetSocketAddress address() {
        return address;
    }

    /** Stops accepting; open connections stay open. */
    @Override
    public void close() {
        listeners.forEach(Listener::close);
    }

    /** One I/O thread's listening socket. */
    private static final class Listener extends NioHandle {
        private final ServerSocketChannel channel;
        private final int maxConnections;
        private final boolean keepAlive;
        private final ChannelListener<? super StreamConnection> openListener;
        /** Accepted here and not closed yet; connections may be closed from any thread. */
        private final AtomicInteger open = new AtomicInteger();
        private final AtomicBoolean full = new AtomicBoolean();
        private final ChannelClosed onClosed = this::connectionClosed;
        private long lastLimitWarning = System.nanoTime() - LIMIT_WARNING_INTERVAL_NANOS;

        Listener(WorkerThread thread, SelectionKey key, ServerSocketChannel channel, int maxConnections,
                 boolean keepAlive, ChannelListener<? super StreamConnection> openListener) {
            super(thread, key);
            this.channel = channel;
            this.maxConnections = maxConnections;
            this.keepAlive = keepAlive;
            this.openListener = openListener;
        }

        @Override
        void handleReady(int ops) {
            for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
                if (maxConnections > 0 && open.get() >= maxConnections) {
                    pauseWhileFull();
                    return;
                }
                SocketChannel accepted;
                try {
                    accepted = channel.accept();
                } catch (ClosedChannelException e) {
                    return;
                } catch (IOException e) {
                    backOff(e);
                    return;
                }
                if (accepted == null) {
                    return;
                }
                open(accepted);
            }
        }

        private void open(SocketChannel accepted) {
            WorkerThread thread = getWorkerThread();
            NioSocketStreamConnection connection;
            try {
                accepted.configureBlocking(false);
                accepted.setOption(StandardSocketOptions.TCP_NODELAY, true);
                if (keepAlive) {
                    accepted.setOption(StandardSocketOptions.SO_KEEPALIVE, true); // not inherited, unlike the timings
                }
                connection = new NioSocketStreamConnection(thread, thread.registerChannel(accepted), onClosed);
            } catch (IOException | RuntimeException e) {
                IoUtils.safeClose(accepted);
                log.debug("dropped an accepted connection", e);
                return;
            }
            open.incrementAndGet();
            ChannelListeners.invokeChannelListener(connection, openListener);
        }

        /** At the limit: stop accepting; the connections that arrive meanwhile wait in the kernel's backlog. */
        private void pauseWhileFull() {
            suspend(SelectionKey.OP_ACCEPT); // always: a back-off's timer may have resumed accepting meanwhile
            long now = System.nanoTime();
            if (full.compareAndSet(false, true) && now - lastLimitWarning >= LIMIT_WARNING_INTERVAL_NANOS) {
                lastLimitWarning = now;
                log.warn("{} connections open on {} (server.maxConnections, shared by the I/O threads); "
                        + "new ones wait until one closes", maxConnections, getWorkerThread().getName());
            }
            resumeIfRoom(); // a connection may have closed between the check and the flag
        }

        private void connectionClosed() {
            if (open.decrementAndGet() < maxConnections && full.get()) {
                WorkerThread thread = getWorkerThread();
                if (Thread.currentThread() == thread) {
                    resumeIfRoom();
                } else {
                    try {
                        thread.execute(this::resumeIfRoom);
                    } catch (RejectedExecutionException stopping) {
                        // the worker is stopping: no more accepting anyway
                    }
                }
            }
        }

        /** On the listener's thread. */
        private void resumeIfRoom() {
            if (open.get() < maxConnections && channel.isOpen() && full.compareAndSet(true, false)) {
                resume(SelectionKey.OP_ACCEPT);
            }
        }

        /** The pending connection stays in the backlog; level-triggered readiness would spin on it, so pause. */
        private void backOff(IOException e) {
            log.warn("accepting on {} failed ({}); pausing accepts on this thread for {} ms",
                    channel.socket().getLocalSocketAddress(), e.getMessage(), BACK_OFF_MILLIS);
            suspend(SelectionKey.OP_ACCEPT);
            XnioIoThread thread = getWorkerThread();
            try {
                thread.executeAfter(() -> {
                    if (channel.isOpen()) {
                        resume(SelectionKey.OP_ACCEPT);
                    }
                }, BACK_OFF_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                // the worker is stopping: no more accepting anyway
            }
        }

        void close() {
            IoUtils.safeClose(channel);
            // the socket is released when its key is deregistered, which the selector does when it next wakes
            getWorkerThread().getSelector().wakeup();
        }

        @Override
        void forceTermination() {
            close();
        }

        @Override
        void terminated() {
        }
    }
}
