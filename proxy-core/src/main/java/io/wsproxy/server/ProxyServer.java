package io.wsproxy.server;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.protocol.http.HttpOpenListener;
import io.wsproxy.config.ConfigException;
import io.wsproxy.config.ProxyConfig;
import io.wsproxy.config.Rule;
import io.wsproxy.config.ServerConfig;
import io.wsproxy.config.UpstreamTrust;
import io.wsproxy.plugin.PluginRegistry;
import io.wsproxy.upstream.RawUpgradeDialer;
import io.wsproxy.upstream.UpstreamDialer;
import io.wsproxy.upstream.UpstreamTls;
import io.wsproxy.upstream.WebSocketDialer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.nio.PerThreadAcceptor;

/**
 * The running proxy: Undertow's HTTP server, fed by a listening socket per I/O thread, with every request going
 * through the rule table. Built from a validated config and the loaded plugins; {@link #close()} stops accepting,
 * closes open WebSockets with 1001 and waits for them.
 */
public final class ProxyServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final PerThreadAcceptor acceptor;
    private final XnioWorker worker;
    private final OpenSessions sessions;
    private final RequestRouter router;
    /** Counts the requests under way, so that stopping lets them finish (and answers 503 to new ones meanwhile). */
    private final GracefulShutdownHandler requests;
    private final PluginRegistry plugins;
    private final ServerConfig serverConfig;
    /** Null when the listener is plain TCP. */
    private final TlsOpenListener tls;
    private final UpstreamTls upstreamTls;
    /** The targets' trust came from {@code server.upstreamCa}, so a reload re-reads it (not so when a caller set it). */
    private final boolean upstreamTlsFromConfig;

    private ProxyServer(PerThreadAcceptor acceptor, XnioWorker worker, OpenSessions sessions, RequestRouter router,
                        GracefulShutdownHandler requests, PluginRegistry plugins, ServerConfig serverConfig,
                        TlsOpenListener tls, UpstreamTls upstreamTls, boolean upstreamTlsFromConfig) {
        this.acceptor = acceptor;
        this.tls = tls;
        this.upstreamTls = upstreamTls;
        this.upstreamTlsFromConfig = upstreamTlsFromConfig;
        this.worker = worker;
        this.sessions = sessions;
        this.router = router;
        this.requests = requests;
        this.plugins = plugins;
        this.serverConfig = serverConfig;
    }

    public static Builder builder(ProxyConfig config, PluginRegistry plugins) {
        return new Builder(config, plugins);
    }

    /** Where the proxy listens (the real port when the config asked for port 0). */
    public InetSocketAddress address() {
        return acceptor.address();
    }

    public int port() {
        return acceptor.address().getPort();
    }

    public int openSessions() {
        return sessions.count();
    }

    /**
     * Routes new requests by {@code config}'s rules, bound to the plugins loaded at start: all of them at once, or,
     * when a rule names an unknown plugin or options its plugin refuses, none (the {@link ConfigException} says
     * which, and the running rules stay). Requests under way and open WebSockets keep the rule they were routed
     * by. The listener's certificate and key and the targets' CA bundle are read again (a renewal takes effect for
     * new connections); the server's other settings (address, timeouts, limits, TLS on or off, a CA bundle or the
     * JVM's) are the ones it started with: when {@code config} changes them, a warning says they wait for a restart.
     *
     * @throws ConfigException for a rule the plugins refuse
     */
    public synchronized void reload(ProxyConfig config) {
        RuleSet next = RuleSet.of(config.rules(), plugins);
        ServerConfig server = config.server();
        if (tls != null && server.tls() != null) {
            tls.use(server.tls());
            logTls(server);
        }
        if (upstreamTlsFromConfig && server.upstreamCa() != null) {
            upstreamTls.use(server.upstreamCa().context());
            logUpstreamCa(server);
        }
        boolean tlsSwitched = (server.tls() == null) != (serverConfig.tls() == null)
                || (server.upstreamCa() == null) != (serverConfig.upstreamCa() == null);
        if (tlsSwitched || !server.withTlsOf(serverConfig).equals(serverConfig)) {
            log.warn("{}: the server settings changed; they take effect when the proxy restarts", config.source());
        }
        router.replace(next);
        logRules(config);
        log.info("reloaded {}: {} rules", config.source(), config.rules().size());
    }

    private static void logTls(ServerConfig server) {
        java.security.cert.X509Certificate leaf = server.tls().leaf();
        log.info("TLS: certificate {} from {}, valid until {}", leaf.getSubjectX500Principal().getName(),
                server.tls().certificate(), leaf.getNotAfter().toInstant());
        java.time.Instant now = java.time.Instant.now();
        if (leaf.getNotAfter().toInstant().isBefore(now)) {
            log.warn("TLS: the certificate in {} expired on {}: clients will refuse it", server.tls().certificate(),
                    leaf.getNotAfter().toInstant());
        } else if (leaf.getNotBefore().toInstant().isAfter(now)) {
            log.warn("TLS: the certificate in {} is valid only from {}: clients will refuse it until then (is this "
                    + "machine's clock right?)", server.tls().certificate(), leaf.getNotBefore().toInstant());
        }
    }

    private static void logUpstreamCa(ServerConfig server) {
        log.info("TLS to targets: {} CA certificates from {} (instead of the JVM's)", server.upstreamCa().certificates(),
                server.upstreamCa().file());
    }

    private static void logRules(ProxyConfig config) {
        for (Rule rule : config.rules()) {
            log.info("rule {}", rule);
        }
    }

    /**
     * Stops accepting, closes open WebSockets with 1001 "proxy shutting down" and lets plain requests under way
     * finish (a new one on a kept-alive connection is answered 503), waiting up to {@code grace} in all.
     */
    public void stop(Duration grace) {
        router.stopping();
        requests.shutdown();
        acceptor.close(); // after: a connection refused means answers already close theirs (tests rely on it)
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            if (!sessions.closeAll(1001, "proxy shutting down", grace)) {
                log.warn("{} WebSocket sessions still open after {} ms; closing the sockets", sessions.count(), grace.toMillis());
            }
            if (!requests.awaitShutdown(millisUntil(deadline))) {
                log.warn("plain HTTP requests still under way after {} ms; closing their connections",
                        grace.toMillis());
            }
            worker.shutdown();
            if (!worker.awaitTermination(millisUntil(deadline), TimeUnit.MILLISECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private static long millisUntil(long deadlineNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
    }

    public static final class Builder {
        private final ProxyConfig config;
        private final PluginRegistry plugins;
        private IntFunction<ByteBufferPool> bufferPools = BufferPools.DIRECT;
        private SSLContext upstreamTls;
        private int ioThreads = Math.max(1, Runtime.getRuntime().availableProcessors());
        private java.util.function.Consumer<io.wsproxy.spi.AccessLogEntry> accessLogListener;
        private java.util.function.Consumer<HttpAccessLogEntry> httpAccessLogListener;
        private java.util.function.LongSupplier logLinesDropped;

        private Builder(ProxyConfig config, PluginRegistry plugins) {
            this.config = config;
            this.plugins = plugins;
        }

        /**
         * Makes the pool of each buffer size the server uses (tests pass leak-detecting ones): 16 KiB for HTTP, the
         * handshakes and messages, others as plugins ask ({@link io.wsproxy.spi.ProxyServices#bufferPool(int)});
         * default: Undertow's pool of direct buffers.
         */
        public Builder bufferPools(IntFunction<ByteBufferPool> factory) {
            this.bufferPools = factory;
            return this;
        }

        /** The TLS context for wss:// and https:// targets; default: {@code server.upstreamCa}'s, else the JVM's. */
        public Builder upstreamTls(SSLContext context) {
            this.upstreamTls = context;
            return this;
        }

        /** Sees every access-log entry after it is logged (tests, metrics); called on an I/O thread. */
        public Builder accessLogListener(java.util.function.Consumer<io.wsproxy.spi.AccessLogEntry> listener) {
            this.accessLogListener = listener;
            return this;
        }

        /** Sees every plain HTTP access-log entry after it is logged; called on an I/O thread. */
        public Builder httpAccessLogListener(java.util.function.Consumer<HttpAccessLogEntry> listener) {
            this.httpAccessLogListener = listener;
            return this;
        }

        /** How many log lines the process has dropped, for the metrics (when its log can drop lines). */
        public Builder logLinesDropped(java.util.function.LongSupplier dropped) {
            this.logLinesDropped = dropped;
            return this;
        }

        public Builder ioThreads(int n) {
            this.ioThreads = n;
            return this;
        }

        /**
         * Binds plugins to rules (failing on an unknown plugin or options it rejects) and starts listening.
         *
         * @throws io.wsproxy.config.ConfigException for a rule the plugins refuse
         * @throws IOException when the worker cannot start
         */
        public ProxyServer start() throws IOException {
            RuleSet rules = RuleSet.of(config.rules(), plugins);
            BufferPools pools = new BufferPools(bufferPools);
            ByteBufferPool pool = pools.standard();
            Xnio xnio = Xnio.getInstance(Undertow.class.getClassLoader());
            XnioWorker worker = xnio.createWorker(OptionMap.builder()
                    .set(Options.WORKER_IO_THREADS, ioThreads)
                    .set(Options.WORKER_TASK_CORE_THREADS, 2)
                    .set(Options.WORKER_TASK_MAX_THREADS, 8)
                    .set(Options.TCP_NODELAY, true)
                    .getMap());
            try {
                UpstreamTrust ca = config.server().upstreamCa();
                boolean caFromConfig = upstreamTls == null && ca != null;
                UpstreamTls tls = new UpstreamTls(xnio, caFromConfig ? ca.context() : upstreamTls);
                // upstreams get keep-alive too, at the system's timings (Linux: 2 hours idle; XNIO sets no others):
                // an upstream host gone without a word cannot hold a silent session for ever
                UpstreamDialer dialer = new UpstreamDialer(pool, tls, OptionMap.builder()
                        .set(Options.TCP_NODELAY, true)
                        .set(Options.KEEP_ALIVE, !config.server().tcpKeepAlive().isZero())
                        .getMap());
                OpenSessions sessions = new OpenSessions();
                RawUpgradeDialer rawDialer = new RawUpgradeDialer(dialer, pool);
                ProxyMetrics metrics = new ProxyMetrics(sessions::count, config.server().tls() != null, logLinesDropped,
                        dialer::connectFailures);
                AccessLog accessLog = new AccessLog(accessLogListener, httpAccessLogListener, metrics);
                CoreServices services = new CoreServices(worker, pools, rawDialer, new WebSocketDialer(rawDialer, pool),
                        accessLog, sessions);
                RequestRouter router = new RequestRouter(rules, new UpgradeHandler(services, accessLog),
                        new HttpForwarder(dialer, config.server(), accessLog), accessLog, metrics,
                        config.server().metricsPath());
                HttpOpenListener http = new HttpOpenListener(pool, OptionMap.builder()
                        .set(UndertowOptions.BUFFER_PIPELINED_DATA, true)
                        // a client that holds a connection without finishing a request head is closed, and a head
                        // is held whole while it arrives: bounded in time and size, stalled clients cannot pile up
                        // (ServerConfig keeps both timeouts within an int of milliseconds)
                        .set(UndertowOptions.NO_REQUEST_TIMEOUT, (int) config.server().keepAliveTimeout().toMillis())
                        .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, (int) config.server().headerTimeout().toMillis())
                        .set(UndertowOptions.MAX_HEADER_SIZE, config.server().maxHeaderBytes())
                        .set(UndertowOptions.ALWAYS_SET_DATE, false)
                        // browsers send { } | ^ ` \ unescaped in queries, and nginx passes them on: Undertow takes
                        // them only with this, and then, decoding, would rewrite the raw path the rules match; so
                        // nothing is decoded (rules see the path as sent), and RequestRouter refuses the bytes that
                        // must not reach a target's request line
                        .set(UndertowOptions.ALLOW_UNESCAPED_CHARACTERS_IN_URL, true)
                        .set(UndertowOptions.DECODE_URL, false)
                        // bodies stream through a few pooled buffers, so no size needs capping here (Undertow: 2 MiB)
                        .set(UndertowOptions.MAX_ENTITY_SIZE, -1L)
                        .getMap());
                GracefulShutdownHandler requests = Handlers.gracefulShutdown(router);
                http.setRootHandler(router.closingWhenStopping(requests));
                TlsOpenListener tlsListener = config.server().tls() == null ? null
                        : new TlsOpenListener(xnio, config.server().tls(), config.server().keepAliveTimeout(), metrics,
                        http);
                PerThreadAcceptor acceptor = PerThreadAcceptor.start(worker,
                        new InetSocketAddress(config.server().host(), config.server().port()), 4096,
                        config.server().maxConnections(), (int) config.server().tcpKeepAlive().toSeconds(),
                        tlsListener != null ? tlsListener : http);
                ProxyServer server = new ProxyServer(acceptor, worker, sessions, router, requests, plugins,
                        config.server(), tlsListener, tls, caFromConfig);
                logRules(config);
                if (caFromConfig) {
                    logUpstreamCa(config.server());
                }
                if (tlsListener != null) {
                    logTls(config.server());
                }
                log.info("wsproxy listening on {}:{}{}", config.server().host(), server.port(),
                        tlsListener != null ? " (TLS: https:// and wss://)" : "");
                return server;
            } catch (IOException | RuntimeException e) {
                worker.shutdownNow();
                throw e;
            }
        }
    }
}
