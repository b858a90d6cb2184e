package io.wsproxy.config;

import java.io.StringReader;
import java.nio.file.Path;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.CollectionEndEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Turns YAML text into SnakeYAML's node tree, which keeps every value's line. Composing only: no tag ever
 * constructs an object, and the node tree is read by hand.
 */
final class YamlComposer {
    static final int MAX_CODE_POINTS = 4 * 1024 * 1024;
    /**
     * Every node costs the composer some hundred bytes of heap, and a short text holds many ({@code [1,1,1,...]}):
     * a file of 4 Mi characters could fill a small heap and end the proxy on a reload. Far beyond any rules file.
     */
    static final int MAX_EVENTS = 100_000;
    private static final int MAX_ALIASES = 50;
    private static final int MAX_NESTING = 50;

    private YamlComposer() {
    }

    /** @return the document's root node, or null for an empty document */
    static Node compose(String yaml, Path file) {
        if (yaml.length() > MAX_CODE_POINTS && yaml.codePointCount(0, yaml.length()) > MAX_CODE_POINTS) {
            throw new ConfigException(file, 0, null, "file too large: more than " + MAX_CODE_POINTS + " characters");
        }
        // first a pass over the events, which holds none of them: it bounds what composing costs, and knows where
        // it was when SnakeYAML stops with an error that has no position (nesting too deep, a forbidden character)
        int line = 0;
        try {
            int events = 0;
            int depth = 0;
            for (Event event : new Yaml(options()).parse(new StringReader(yaml))) {
                line = event.getStartMark() == null ? line : event.getStartMark().getLine() + 1;
                if (++events > MAX_EVENTS) {
                    throw new ConfigException(file, line, null, "too many YAML values (more than " + MAX_EVENTS
                            + " nodes) for a rules file");
                }
                if (event instanceof CollectionStartEvent && ++depth > MAX_NESTING) {
                    throw new ConfigException(file, line, null, "lists and mappings nested more than " + MAX_NESTING
                            + " deep");
                } else if (event instanceof CollectionEndEvent) {
                    depth--;
                }
            }
        } catch (MarkedYAMLException e) {
            throw syntaxError(file, e, line);
        } catch (YAMLException e) {
            throw new ConfigException(file, line, null, "YAML error after this line: " + e.getMessage(), e);
        }
        try {
            return new Yaml(options()).compose(new StringReader(yaml));
        } catch (MarkedYAMLException e) {
            throw syntaxError(file, e, 0);
        } catch (YAMLException e) {
            throw new ConfigException(file, 0, null, "YAML error: " + e.getMessage(), e);
        }
    }

    private static ConfigException syntaxError(Path file, MarkedYAMLException e, int lineIfUnmarked) {
        Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
        int line = mark == null ? lineIfUnmarked : mark.getLine() + 1;
        String context = e.getContext() == null ? "" : " (" + e.getContext() + ")";
        return new ConfigException(file, line, null, "YAML syntax error: " + e.getProblem() + context, e);
    }

    private static LoaderOptions options() {
        LoaderOptions options = new LoaderOptions();
        // SnakeYAML checks duplicate keys only when constructing; MappingReader checks them on the nodes
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        options.setMaxAliasesForCollections(MAX_ALIASES);
        options.setNestingDepthLimit(MAX_NESTING);
        options.setCodePointLimit(MAX_CODE_POINTS);
        return options;
    }
}
