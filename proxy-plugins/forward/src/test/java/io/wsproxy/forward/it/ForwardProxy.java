package io.wsproxy.forward.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.wsproxy.config.ConfigLoader;
import io.wsproxy.config.ProxyConfig;
import io.wsproxy.forward.ForwardPlugin;
import io.wsproxy.plugin.PluginRegistry;
import io.wsproxy.server.ProxyServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The core's real proxy server with one forward rule on {@code /}, on an ephemeral loopback port.
 * TODO: use the core's shared TestProxy (with its leak-detecting pool) once it is committed on main.
 */
final class ForwardProxy implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ProxyServer server;

    /** @param target the rule's target, or null for a pure forwarding hub */
    ForwardProxy(String target, Map<String, Object> options) throws Exception {
        // YAML is a superset of JSON: the options go in as a JSON object, escapes and all
        String yaml = "server: { host: 127.0.0.1, port: 0 }\nrules:\n"
                + "  - name: forward-test\n"
                + "    pattern: \"^/\"\n"
                + (target == null ? "" : "    target: \"" + target + "\"\n")
                + "    plugin: forward\n"
                + "    options: " + JSON.writeValueAsString(options) + "\n";
        ProxyConfig config = ConfigLoader.parse(yaml, Path.of("forward-test-rules.yaml"));
        server = ProxyServer.builder(config, PluginRegistry.of(List.of(new ForwardPlugin()))).ioThreads(2).start();
    }

    String url() {
        return "ws://127.0.0.1:" + server.port() + "/";
    }

    int openSessions() {
        return server.openSessions();
    }

    @Override
    public void close() {
        server.stop(Duration.ofSeconds(5));
    }
}
