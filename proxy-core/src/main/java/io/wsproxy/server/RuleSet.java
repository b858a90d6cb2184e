package io.wsproxy.server;

import io.wsproxy.config.Rule;
import io.wsproxy.plugin.PluginBindings;
import io.wsproxy.plugin.PluginRegistry;
import io.wsproxy.routing.RouteTable;
import java.util.List;

/**
 * The rules the proxy routes by, compiled and bound to their plugins: one immutable snapshot, so that a reload
 * swaps the whole of it at once and a request is routed and handed over by one version of the rules.
 */
record RuleSet(RouteTable routes, PluginBindings bindings) {
    /** @throws io.wsproxy.config.ConfigException for a rule naming an unknown plugin or options it refuses */
    static RuleSet of(List<Rule> rules, PluginRegistry plugins) {
        PluginBindings bindings = PluginBindings.bind(rules, plugins);
        return new RuleSet(new RouteTable(rules), bindings);
    }
}
