package io.wsproxy.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Converts a plugin's {@code options:} nodes to the plain, unmodifiable Java values {@link io.wsproxy.spi.OptionsReader}
 * expects, by each node's resolved tag: {@code 500} is an Integer, {@code 10s} a String, {@code yes} a Boolean.
 */
final class OptionValues {
    /**
     * How large one rule's options may grow once aliases are expanded, counting each value and each character of
     * text: SnakeYAML limits aliases to lists and mappings to 50, which still lets them nest into billions of
     * values (or repeat one long text a million times into a plugin's error message).
     */
    static final int MAX_EXPANDED_SIZE = 1 << 20;

    private final Path file;
    private int sizeLeft = MAX_EXPANDED_SIZE;
    // nodes being converted on the current branch: an alias back to one of them would never end
    private final Set<Node> open = Collections.newSetFromMap(new IdentityHashMap<>());

    private OptionValues(Path file) {
        this.file = file;
    }

    /** Converts the options mapping, recording each top-level option's line into {@code lines}. */
    static Map<String, Object> convert(Path file, Node options, String path, Map<String, Integer> lines) {
        if (!(options instanceof MappingNode mapping)) {
            throw new ConfigException(file, MappingReader.lineOf(options), path,
                    "expected a mapping of plugin options, got " + MappingReader.describe(options));
        }
        OptionValues values = new OptionValues(file);
        Map<String, Object> map = new LinkedHashMap<>();
        for (Map.Entry<String, NodeTuple> e : MappingReader.entries(file, mapping, path).entrySet()) {
            int line = MappingReader.lineOf(e.getValue().getKeyNode());
            String option = path + "." + e.getKey();
            lines.put(e.getKey(), line);
            try {
                map.put(e.getKey(), values.value(e.getValue().getValueNode(), option));
            } catch (TooLarge tooLarge) {
                throw new ConfigException(file, line, option, "too large once its aliases are expanded (the options"
                        + " of a rule may hold at most " + MAX_EXPANDED_SIZE + " values and characters)");
            }
        }
        return Collections.unmodifiableMap(map);
    }

    private Object value(Node node, String path) {
        sizeLeft -= 1 + (node instanceof ScalarNode scalar ? scalar.getValue().length() : 0);
        if (sizeLeft < 0) {
            throw new TooLarge();
        }
        if (!open.add(node)) {
            throw error(node, path, "an alias refers to a value that contains it");
        }
        try {
            if (node instanceof ScalarNode scalar) {
                return scalar(scalar, path);
            }
            if (node instanceof SequenceNode seq && seq.getTag().equals(Tag.SEQ)) {
                List<Object> list = new ArrayList<>(seq.getValue().size());
                for (int i = 0; i < seq.getValue().size(); i++) {
                    list.add(value(seq.getValue().get(i), path + "[" + i + "]"));
                }
                return Collections.unmodifiableList(list);
            }
            if (node instanceof MappingNode mapping && mapping.getTag().equals(Tag.MAP)) {
                return map(MappingReader.entries(file, mapping, path), path);
            }
            throw error(node, path, "unsupported YAML tag " + node.getTag());
        } finally {
            open.remove(node);
        }
    }

    private Map<String, Object> map(Map<String, NodeTuple> entries, String path) {
        Map<String, Object> map = new LinkedHashMap<>();
        entries.forEach((k, t) -> map.put(k, value(t.getValueNode(), path + "." + k)));
        return Collections.unmodifiableMap(map);
    }

    private Object scalar(ScalarNode node, String path) {
        String text = node.getValue();
        Tag tag = node.getTag();
        try {
            if (tag.equals(Tag.NULL)) {
                return null;
            }
            if (tag.equals(Tag.BOOL)) {
                return YamlScalars.bool(text);
            }
            if (tag.equals(Tag.INT)) {
                return YamlScalars.integer(text);
            }
            if (tag.equals(Tag.FLOAT)) {
                return YamlScalars.decimal(text);
            }
        } catch (YamlScalars.AmbiguousNumber e) {
            throw error(node, path, e.getMessage());
        } catch (NumberFormatException e) {
            throw error(node, path, "number out of range or malformed: '" + text + "'");
        } catch (IllegalArgumentException e) {
            throw error(node, path, e.getMessage());
        }
        // a date such as 2024-01-01 is text to a plugin, not a timestamp
        if (tag.equals(Tag.STR) || tag.equals(Tag.TIMESTAMP)) {
            return text;
        }
        throw error(node, path, "unsupported YAML tag " + tag);
    }

    /** Thrown as soon as the size runs out, and reported at the option being converted then. */
    private static final class TooLarge extends RuntimeException {
        TooLarge() {
            super(null, null, false, false);
        }
    }

    private ConfigException error(Node node, String path, String problem) {
        return new ConfigException(file, MappingReader.lineOf(node), path, problem);
    }
}
