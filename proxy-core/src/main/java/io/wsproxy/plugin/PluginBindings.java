package io.wsproxy.plugin;

import io.wsproxy.config.ConfigException;
import io.wsproxy.config.Rule;
import io.wsproxy.spi.InvalidOptionsException;
import io.wsproxy.spi.ProxyPlugin;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Each WebSocket rule bound to its plugin and that plugin's parsed options: the check that the plugin exists
 * and accepts the options happens here, once, at load.
 */
public final class PluginBindings {

    /** A rule's plugin and the options object it made of the rule's {@code options:}. */
    public record Binding(ProxyPlugin plugin, Object options) {
    }

    private final Map<Rule, Binding> byRule;

    private PluginBindings(Map<Rule, Binding> byRule) {
        this.byRule = byRule;
    }

    public static PluginBindings bind(List<Rule> rules, PluginRegistry registry) {
        Map<Rule, Binding> byRule = new IdentityHashMap<>();
        for (Rule rule : rules) {
            if (!rule.ws()) {
                continue;
            }
            ProxyPlugin plugin = registry.get(rule.plugin());
            if (plugin == null) {
                throw ConfigException.forRule(rule, "plugin", "unknown plugin '" + rule.plugin()
                        + "'; loaded plugins: " + registry.names());
            }
            try {
                byRule.put(rule, new Binding(plugin, plugin.parseOptions(rule, rule.options())));
            } catch (InvalidOptionsException e) {
                throw ConfigException.forOption(rule, e.option(), e.getMessage());
            } catch (RuntimeException | LinkageError | StackOverflowError e) {
                // a LinkageError: a class the plugin needs and its jar does not carry (as PF4J catches at start);
                // a StackOverflowError: its options parser recursing without end, which leaves the JVM sound
                throw ConfigException.forOption(rule, null, "plugin '" + rule.plugin() + "' failed to read its options: " + e);
            }
        }
        return new PluginBindings(byRule);
    }

    /** The binding of a WebSocket rule; null for a rule with {@code ws: false}. */
    public Binding of(Rule rule) {
        return byRule.get(rule);
    }
}
