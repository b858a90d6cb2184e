package io.wsproxy.testing;

import io.wsproxy.config.ConfigLoader;
import io.wsproxy.config.ProxyConfig;
import io.wsproxy.plugin.PluginRegistry;
import io.wsproxy.server.ProxyServer;
import io.wsproxy.spi.ProxyPlugin;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A proxy on an ephemeral loopback port, from rules written in the test, with a leak-detecting buffer pool. */
public final class TestProxy implements AutoCloseable {
    private final ProxyServer server;
    private final LeakDetectingPool pool;

    private TestProxy(ProxyServer server, LeakDetectingPool pool) {
        this.server = server;
        this.pool = pool;
    }

    /** {@code rules} is the YAML of the {@code rules:} list (indented by two spaces per level as usual). */
    public static TestProxy start(String rules, ProxyPlugin... plugins) throws Exception {
        String yaml = "server: { host: 127.0.0.1, port: 0 }\nrules:\n" + rules;
        ProxyConfig config = ConfigLoader.parse(yaml, Path.of("test-rules.yaml"));
        LeakDetectingPool pool = new LeakDetectingPool(16 * 1024);
        ProxyServer server = ProxyServer.builder(config, PluginRegistry.of(List.of(plugins)))
                .bufferPool(pool)
                .ioThreads(2)
                .start();
        return new TestProxy(server, pool);
    }

    public URI ws(String pathAndQuery) {
        return URI.create("ws://127.0.0.1:" + server.port() + pathAndQuery);
    }

    public URI http(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
    }

    public ProxyServer server() {
        return server;
    }

    public LeakDetectingPool pool() {
        return pool;
    }

    /** Stops the proxy, then fails if any pooled buffer was not given back. */
    @Override
    public void close() throws Exception {
        server.stop(Duration.ofSeconds(5));
        pool.assertNoLeaks(Duration.ofSeconds(5));
    }
}
