package io.wsproxy.plugin;

import io.wsproxy.spi.ProxyPlugin;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/** The plugins the proxy knows, by the name rules use; built once at start-up. */
public final class PluginRegistry {
    private final Map<String, ProxyPlugin> byName;

    private PluginRegistry(Map<String, ProxyPlugin> byName) {
        this.byName = Map.copyOf(byName);
    }

    /** @throws IllegalArgumentException when two plugins claim one name */
    public static PluginRegistry of(Collection<? extends ProxyPlugin> plugins) {
        Map<String, ProxyPlugin> byName = new LinkedHashMap<>();
        for (ProxyPlugin plugin : plugins) {
            ProxyPlugin previous = byName.putIfAbsent(plugin.name(), plugin);
            if (previous != null && previous != plugin) {
                throw new IllegalArgumentException("two plugins are named '" + plugin.name() + "': "
                        + previous.getClass().getName() + " and " + plugin.getClass().getName());
            }
        }
        return new PluginRegistry(byName);
    }

    /** The plugin named {@code name}, or null. */
    public ProxyPlugin get(String name) {
        return byName.get(name);
    }

    /** The loaded names, sorted, for error messages. */
    public String names() {
        return byName.isEmpty() ? "none" : String.join(", ", new TreeSet<>(byName.keySet()));
    }

    @Override
    public String toString() {
        return "plugins[" + names() + "]";
    }
}
