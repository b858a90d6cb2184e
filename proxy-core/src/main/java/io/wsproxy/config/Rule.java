package io.wsproxy.config;

import io.wsproxy.spi.RuleInfo;
import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One validated rule of rules.yaml.
 *
 * @param target   null for a rule without a target
 * @param rewrite  the rewrite template as written, or null to keep the path
 * @param headers  set on every upstream request, in file order
 * @param options  the plugin's options as plain Java values (String, Integer, Long, Double, Boolean, null, List,
 *                 Map), validated by the plugin later
 */
public record Rule(
        String name,
        Pattern pattern,
        URI target,
        String rewrite,
        boolean changeOrigin,
        Map<String, String> headers,
        boolean ws,
        String plugin,
        Map<String, Object> options,
        SourceLocation location) implements RuleInfo {

    public static final String DEFAULT_PLUGIN = "relay";

    public Rule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(plugin, "plugin");
        Objects.requireNonNull(location, "location");
        // LinkedHashMap copies keep the file's order; Map.copyOf would not, and options may hold nulls
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    @Override
    public String toString() {
        return "Rule[" + name + " " + pattern.pattern() + " -> " + (target == null ? "(no target)" : target)
                + (rewrite == null ? "" : " rewrite " + rewrite) + ", plugin " + plugin + ", " + location + "]";
    }
}
