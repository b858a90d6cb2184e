package io.wsproxy.testing;

import io.wsproxy.config.ConfigLoader;
import io.wsproxy.config.ProxyConfig;
import io.wsproxy.plugin.PluginRegistry;
import io.wsproxy.server.HttpAccessLogEntry;
import io.wsproxy.server.ProxyServer;
import io.wsproxy.spi.ProxyPlugin;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import io.wsproxy.spi.AccessLogEntry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A proxy on an ephemeral loopback port, from rules written in the test, with leak-detecting buffer pools. */
public final class TestProxy implements AutoCloseable {
    private static final int STANDARD_BUFFER_BYTES = 16 * 1024;

    private final ProxyServer server;
    private final Map<Integer, LeakDetectingPool> pools;

    private final BlockingQueue<AccessLogEntry> accessLog;
    private final BlockingQueue<HttpAccessLogEntry> httpAccessLog;

    private final String serverFields;

    private TestProxy(ProxyServer server, Map<Integer, LeakDetectingPool> pools,
                      BlockingQueue<AccessLogEntry> accessLog, BlockingQueue<HttpAccessLogEntry> httpAccessLog,
                      String serverFields) {
        this.server = server;
        this.pools = pools;
        this.accessLog = accessLog;
        this.httpAccessLog = httpAccessLog;
        this.serverFields = serverFields;
    }

    /** {@code rules} is the YAML of the {@code rules:} list (indented by two spaces per level as usual). */
    public static TestProxy start(String rules, ProxyPlugin... plugins) throws Exception {
        return startWithServer("", rules, plugins);
    }

    /** {@code serverFields} go into the {@code server:} mapping, e.g. {@code "responseTimeout: 300ms"}. */
    public static TestProxy startWithServer(String serverFields, String rules, ProxyPlugin... plugins) throws Exception {
        return start(serverFields, null, rules, plugins);
    }

    /** Trusting {@code upstreamTls} for wss:// and https:// targets (for example {@link TestTls#client()}). */
    public static TestProxy startWithTls(javax.net.ssl.SSLContext upstreamTls, String rules, ProxyPlugin... plugins)
            throws Exception {
        return start("", upstreamTls, rules, plugins);
    }

    private static TestProxy start(String serverFields, javax.net.ssl.SSLContext upstreamTls, String rules,
                                   ProxyPlugin... plugins) throws Exception {
        ProxyConfig config = config(serverFields, rules);
        Map<Integer, LeakDetectingPool> pools = new ConcurrentHashMap<>();
        BlockingQueue<AccessLogEntry> accessLog = new LinkedBlockingQueue<>();
        BlockingQueue<HttpAccessLogEntry> httpAccessLog = new LinkedBlockingQueue<>();
        ProxyServer server = ProxyServer.builder(config, PluginRegistry.of(List.of(plugins)))
                .bufferPools(size -> pools.computeIfAbsent(size, LeakDetectingPool::new))
                .accessLogListener(accessLog::add)
                .httpAccessLogListener(httpAccessLog::add)
                .upstreamTls(upstreamTls)
                .ioThreads(2)
                .start();
        return new TestProxy(server, pools, accessLog, httpAccessLog, serverFields);
    }

    private static ProxyConfig config(String serverFields, String rules) {
        String host = serverFields.contains("host:") ? "" : "host: 127.0.0.1, "; // a test may listen elsewhere
        String yaml = "server: { " + host + "port: 0" + (serverFields.isEmpty() ? "" : ", " + serverFields)
                + " }\nrules:\n" + rules;
        return ConfigLoader.parse(yaml, Path.of("test-rules.yaml"));
    }

    /** Reloads with {@code rules} (the server settings as at start), as a SIGHUP would. */
    public void reload(String rules) {
        server.reload(config(serverFields, rules));
    }

    public URI ws(String pathAndQuery) {
        return URI.create("ws://127.0.0.1:" + server.port() + pathAndQuery);
    }

    public URI http(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
    }

    /** Over TLS, by the name the test certificate has ({@link TestTls}). */
    public URI wss(String pathAndQuery) {
        return URI.create("wss://localhost:" + server.port() + pathAndQuery);
    }

    /** Over TLS, by the name the test certificate has ({@link TestTls}). */
    public URI https(String pathAndQuery) {
        return URI.create("https://localhost:" + server.port() + pathAndQuery);
    }

    public ProxyServer server() {
        return server;
    }

    /** The next access-log entry (one per closed WebSocket). */
    public AccessLogEntry nextAccessLog() throws InterruptedException {
        AccessLogEntry entry = accessLog.poll(WsClient.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (entry == null) {
            throw new AssertionError("no access-log entry within " + WsClient.TIMEOUT);
        }
        return entry;
    }

    /** The next plain HTTP access-log entry (one per proxied request). */
    public HttpAccessLogEntry nextHttpAccessLog() throws InterruptedException {
        HttpAccessLogEntry entry = httpAccessLog.poll(WsClient.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        if (entry == null) {
            throw new AssertionError("no plain HTTP access-log entry within " + WsClient.TIMEOUT);
        }
        return entry;
    }

    /** The pool of the server's standard 16 KiB buffers (HTTP, handshakes, messages). */
    public LeakDetectingPool pool() {
        return pool(STANDARD_BUFFER_BYTES);
    }

    /** The pool of {@code bufferBytes} buffers, the one the server gets when it asks for that size (now or later). */
    public LeakDetectingPool pool(int bufferBytes) {
        return pools.computeIfAbsent(bufferBytes, LeakDetectingPool::new);
    }

    /** Waits for every buffer of every pool to come back; fails with where the first leaked one was taken. */
    public void assertNoLeaks() throws InterruptedException {
        for (LeakDetectingPool pool : pools.values()) {
            pool.assertNoLeaks(Duration.ofSeconds(5));
        }
    }

    /** Stops the proxy, then fails if any pooled buffer was not given back. */
    @Override
    public void close() throws Exception {
        server.stop(Duration.ofSeconds(5));
        assertNoLeaks();
    }
}
