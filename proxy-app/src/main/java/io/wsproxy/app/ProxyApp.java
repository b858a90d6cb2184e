package io.wsproxy.app;

import io.wsproxy.config.ConfigException;
import io.wsproxy.config.ConfigLoader;
import io.wsproxy.config.ProxyConfig;
import io.wsproxy.plugin.PluginBindings;
import io.wsproxy.plugin.PluginLoader;
import io.wsproxy.plugin.PluginRegistry;
import io.wsproxy.server.ProxyServer;
import io.wsproxy.spi.ProxyPlugin;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running proxy: the rules file, the plugins loaded for it (the jars of the plugins folder plus the built-in
 * {@code echo}) and the server. {@link #stop} undoes all three in reverse order.
 */
final class ProxyApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyApp.class);

    private final ProxyServer server;
    private final PluginLoader plugins;
    private final Arguments args;
    private final ProxyConfig started;

    private ProxyApp(ProxyServer server, PluginLoader plugins, Arguments args, ProxyConfig started) {
        this.server = server;
        this.plugins = plugins;
        this.args = args;
        this.started = started;
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
        ProxyConfig config = read(args);
        PluginLoader loader = PluginLoader.load(pluginsDir(args, config, defaultPlugins));
        try {
            ProxyServer server = ProxyServer.builder(config, registry(loader))
                    .logLinesDropped(NonBlockingStderr::droppedLines)
                    .start();
            return new ProxyApp(server, loader, args, config);
        } catch (IOException | RuntimeException e) {
            loader.close();
            throw e;
        }
    }

    /**
     * Everything {@link #start} checks before it listens: the rules file, the plugins and each rule's plugin and
     * options; throws what start would throw.
     *
     * @return the rules file, checked
     */
    static ProxyConfig check(Arguments args, Path defaultPlugins) throws BindException {
        ProxyConfig config = read(args);
        try (PluginLoader loader = PluginLoader.load(pluginsDir(args, config, defaultPlugins))) {
            PluginBindings.bind(config.rules(), registry(loader));
        }
        try {
            // start looks the listening host up before it binds: a name that does not resolve fails there, so here
            InetAddress.getByName(config.server().host());
        } catch (UnknownHostException e) {
            throw new BindException(config.server().host() + ":" + config.server().port() + ": unknown host");
        }
        return config;
    }

    private static Path pluginsDir(Arguments args, ProxyConfig config, Path defaultPlugins) {
        return args.plugins() != null ? args.plugins()
                : config.plugins().dir() != null ? config.plugins().dir()
                : defaultPlugins;
    }

    /** The jars' plugins and the built-in echo. */
    private static PluginRegistry registry(PluginLoader loader) {
        List<ProxyPlugin> all = new ArrayList<>(loader.plugins());
        all.add(new EchoPlugin());
        return PluginRegistry.of(all);
    }

    /** The rules file with the command line's overrides. */
    private static ProxyConfig read(Arguments args) {
        ProxyConfig config = ConfigLoader.load(args.config());
        return args.port() != null ? config.withPort(args.port()) : config;
    }

    int port() {
        return server.port();
    }

    /**
     * Reads the rules file again and routes new requests by its rules (SIGHUP, as nginx's reload). A file with any
     * error changes nothing: the error is logged with its file and line, and the running rules stay. Plugins are
     * the ones loaded at start. One at a time, reading included: each SIGHUP runs on a thread of its own, and one
     * still reading the file must not apply it over the newer one a later SIGHUP read meanwhile.
     *
     * @return whether the new rules are in use
     */
    synchronized boolean reload() {
        try {
            ProxyConfig config = read(args);
            // --plugins overrides the file's plugins settings: their change then changes nothing
            if (args.plugins() == null && !config.plugins().equals(started.plugins())) {
                log.warn("{}: the plugins settings changed; they take effect when the proxy restarts", config.source());
            }
            server.reload(config);
            return true;
        } catch (ConfigException e) {
            log.error("reload refused, still serving the rules loaded before: {}", e.getMessage());
            return false;
        } catch (RuntimeException e) {
            log.error("reload failed, still serving the rules loaded before", e);
            return false;
        }
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
