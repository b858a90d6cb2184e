package io.wsproxy.app;

import io.wsproxy.config.ConfigLoader;
import io.wsproxy.config.ProxyConfig;
import io.wsproxy.plugin.PluginLoader;
import io.wsproxy.plugin.PluginRegistry;
import io.wsproxy.server.ProxyServer;
import io.wsproxy.spi.ProxyPlugin;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A running proxy: the rules file, the plugins loaded for it (the jars of the plugins folder plus the built-in
 * {@code echo}) and the server. {@link #stop} undoes all three in reverse order.
 */
final class ProxyApp implements AutoCloseable {
    private final ProxyServer server;
    private final PluginLoader plugins;

    private ProxyApp(ProxyServer server, PluginLoader plugins) {
        this.server = server;
        this.plugins = plugins;
    }

    /**
     * Loads the rules file and the plugins, and starts listening.
     *
     * @param defaultPlugins the plugins folder when neither the command line nor the rules file names one
     * @throws io.wsproxy.config.ConfigException           for a wrong rules file (or a rule its plugin refuses)
     * @throws PluginLoader.PluginLoadException            for a missing plugins folder or a broken jar
     * @throws IllegalArgumentException                    when two plugins claim one name
     * @throws IOException                                 when the server cannot start
     */
    static ProxyApp start(Arguments args, Path defaultPlugins) throws IOException {
        ProxyConfig config = ConfigLoader.load(args.config());
        if (args.port() != null) {
            config = config.withPort(args.port());
        }
        Path pluginsDir = args.plugins() != null ? args.plugins()
                : config.plugins().dir() != null ? config.plugins().dir()
                : defaultPlugins;
        PluginLoader loader = PluginLoader.load(pluginsDir);
        try {
            List<ProxyPlugin> all = new ArrayList<>(loader.plugins());
            all.add(new EchoPlugin());
            ProxyServer server = ProxyServer.builder(config, PluginRegistry.of(all)).start();
            return new ProxyApp(server, loader);
        } catch (IOException | RuntimeException e) {
            loader.close();
            throw e;
        }
    }

    int port() {
        return server.port();
    }

    /** Stops accepting, closes open WebSockets with 1001 (waiting up to {@code grace}), then unloads the plugins. */
    void stop(Duration grace) {
        try {
            server.stop(grace);
        } finally {
            plugins.close();
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
    }
}
