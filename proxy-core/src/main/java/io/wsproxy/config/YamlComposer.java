package io.wsproxy.config;

import java.io.StringReader;
import java.nio.file.Path;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Turns YAML text into SnakeYAML's node tree, which keeps every value's line. Composing only: no tag ever
 * constructs an object, and the node tree is read by hand.
 */
final class YamlComposer {
    static final int MAX_CODE_POINTS = 4 * 1024 * 1024;
    private static final int MAX_ALIASES = 50;
    private static final int MAX_NESTING = 50;

    private YamlComposer() {
    }

    /** @return the document's root node, or null for an empty document */
    static Node compose(String yaml, Path file) {
        if (yaml.length() > MAX_CODE_POINTS && yaml.codePointCount(0, yaml.length()) > MAX_CODE_POINTS) {
            throw new ConfigException(file, 0, null, "file too large: more than " + MAX_CODE_POINTS + " characters");
        }
        try {
            return new Yaml(options()).compose(new StringReader(yaml));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            int line = mark == null ? 0 : mark.getLine() + 1;
            String context = e.getContext() == null ? "" : " (" + e.getContext() + ")";
            throw new ConfigException(file, line, null, "YAML syntax error: " + e.getProblem() + context, e);
        } catch (YAMLException e) {
            throw new ConfigException(file, 0, null, "YAML error: " + e.getMessage(), e);
        }
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
