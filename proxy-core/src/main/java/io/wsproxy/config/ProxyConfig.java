package io.wsproxy.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/** A validated rules file: the server, the plugins and the rules in file order. */
public record ProxyConfig(Path source, ServerConfig server, PluginsConfig plugins, List<Rule> rules) {

    public ProxyConfig {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(plugins, "plugins");
        rules = List.copyOf(rules);
    }

    /** The same configuration listening on another port (the command line may override the file's). */
    public ProxyConfig withPort(int port) {
        return new ProxyConfig(source, server.withPort(port), plugins, rules);
    }
}
