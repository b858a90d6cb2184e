package io.wsproxy.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One YAML mapping of the rules file with a fixed set of fields: rejects duplicate and unknown keys up front, then
 * reads typed fields, failing with the field's path and line.
 */
final class MappingReader {
    private final Path file;
    private final String path;
    private final Node node;
    private final Map<String, NodeTuple> entries;

    private MappingReader(Path file, String path, Node node, Map<String, NodeTuple> entries) {
        this.file = file;
        this.path = path;
        this.node = node;
        this.entries = entries;
    }

    /** @param path the mapping's field path for messages, "" for the document's root */
    static MappingReader of(Path file, Node node, String path, List<String> allowed) {
        if (!(node instanceof MappingNode mapping)) {
            throw new ConfigException(file, lineOf(node), path.isEmpty() ? null : path,
                    "expected a mapping with fields " + String.join(", ", allowed) + ", got " + describe(node));
        }
        Map<String, NodeTuple> entries = entries(file, mapping, path);
        for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
            if (!allowed.contains(e.getKey())) {
                throw new ConfigException(file, lineOf(e.getValue().getKeyNode()), join(path, e.getKey()),
                        "unknown field; allowed: " + String.join(", ", allowed));
            }
        }
        return new MappingReader(file, path, node, entries);
    }

    /** The mapping's entries by key, in file order; keys must be scalars and appear once. */
    static Map<String, NodeTuple> entries(Path file, MappingNode mapping, String path) {
        Map<String, NodeTuple> entries = new LinkedHashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            Node keyNode = tuple.getKeyNode();
            if (!(keyNode instanceof ScalarNode scalar) || keyNode.getTag().equals(Tag.MERGE)) {
                throw new ConfigException(file, lineOf(keyNode), path.isEmpty() ? null : path,
                        "keys must be plain text, got " + describe(keyNode));
            }
            NodeTuple first = entries.putIfAbsent(scalar.getValue(), tuple);
            if (first != null) {
                throw new ConfigException(file, lineOf(keyNode), join(path, scalar.getValue()),
                        "duplicate key (first at line " + lineOf(first.getKeyNode()) + ")");
            }
        }
        return entries;
    }

    static int lineOf(Node node) {
        return node.getStartMark().getLine() + 1;
    }

    static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    static boolean isNull(Node node) {
        return node == null || node.getTag().equals(Tag.NULL);
    }

    static String describe(Node node) {
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        if (node instanceof SequenceNode) {
            return "a list";
        }
        if (isNull(node)) {
            return "nothing";
        }
        return "'" + ((ScalarNode) node).getValue() + "'";
    }

    String path() {
        return path;
    }

    String field(String key) {
        return join(path, key);
    }

    int line() {
        return lineOf(node);
    }

    /** The key's line, or the mapping's when the key is absent. */
    int line(String key) {
        NodeTuple t = entries.get(key);
        return t == null ? line() : lineOf(t.getKeyNode());
    }

    /** The line of every key present, by key. */
    Map<String, Integer> keyLines() {
        Map<String, Integer> lines = new LinkedHashMap<>();
        entries.forEach((k, t) -> lines.put(k, lineOf(t.getKeyNode())));
        return lines;
    }

    /** The value, or null when the key is absent or its value is YAML null (an unset optional field). */
    Node value(String key) {
        NodeTuple t = entries.get(key);
        return t == null || isNull(t.getValueNode()) ? null : t.getValueNode();
    }

    ConfigException error(String key, String problem) {
        return new ConfigException(file, line(key), field(key), problem);
    }

    /**
     * A text field, taken as written: {@code name: 123} is "123" and {@code plugin: yes} is "yes", since a
     * text field has no other reading. Null when unset.
     */
    String string(String key) {
        Node v = value(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof ScalarNode scalar)) {
            throw error(key, "expected text, got " + describe(v));
        }
        return scalar.getValue();
    }

    String requiredString(String key) {
        String s = string(key);
        if (s == null) {
            throw error(key, "missing required field");
        }
        if (s.isBlank()) {
            throw error(key, "must not be empty");
        }
        return s;
    }

    boolean bool(String key, boolean defaultValue) {
        Node v = value(key);
        if (v == null) {
            return defaultValue;
        }
        if (!v.getTag().equals(Tag.BOOL)) {
            throw error(key, "expected true or false, got " + describe(v));
        }
        try {
            return YamlScalars.bool(((ScalarNode) v).getValue());
        } catch (IllegalArgumentException e) {
            throw error(key, e.getMessage());
        }
    }

    /** A duration written {@code 10s}, {@code 500ms}, {@code 2m} or as bare milliseconds; must be positive. */
    java.time.Duration duration(String key, java.time.Duration defaultValue) {
        return duration(key, defaultValue, false);
    }

    /** As {@link #duration(String, java.time.Duration)}; {@code zeroAllowed}: 0 is a value (usually: off). */
    java.time.Duration duration(String key, java.time.Duration defaultValue, boolean zeroAllowed) {
        Node v = value(key);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof ScalarNode scalar) || !(v.getTag().equals(Tag.INT) || v.getTag().equals(Tag.STR))) {
            throw error(key, "expected a duration such as 10s, 500ms, 2m or a number of milliseconds, got " + describe(v));
        }
        java.time.Duration d;
        try {
            d = io.wsproxy.spi.Durations.parse(v.getTag().equals(Tag.INT)
                    ? (Object) YamlScalars.integer(scalar.getValue()).longValue() : scalar.getValue());
        } catch (IllegalArgumentException e) {
            throw error(key, e.getMessage());
        }
        if (d.isZero() && !zeroAllowed) {
            throw error(key, "must be more than 0");
        }
        return d;
    }

    /** A size written {@code 65536}, {@code 64KiB} or {@code 16MiB}, from {@code min} to {@code max} bytes. */
    int bytes(String key, int defaultValue, int min, int max) {
        Node v = value(key);
        if (v == null) {
            return defaultValue;
        }
        String expected = "expected a size from " + min + " to " + max + " bytes such as 64KiB, got " + describe(v);
        if (!(v instanceof ScalarNode scalar) || !(v.getTag().equals(Tag.INT) || v.getTag().equals(Tag.STR))) {
            throw error(key, expected);
        }
        long n;
        try {
            n = io.wsproxy.spi.ByteSizes.parse(v.getTag().equals(Tag.INT)
                    ? (Object) YamlScalars.integer(scalar.getValue()).longValue() : scalar.getValue());
        } catch (YamlScalars.AmbiguousNumber e) {
            throw error(key, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw error(key, expected);
        }
        if (n < min || n > max) {
            throw error(key, expected);
        }
        return (int) n;
    }

    int integer(String key, int defaultValue, int min, int max) {
        Node v = value(key);
        if (v == null) {
            return defaultValue;
        }
        String expected = "expected a whole number from " + min + " to " + max + ", got " + describe(v);
        if (!v.getTag().equals(Tag.INT)) {
            throw error(key, expected);
        }
        Number n;
        try {
            n = YamlScalars.integer(((ScalarNode) v).getValue());
        } catch (YamlScalars.AmbiguousNumber e) {
            throw error(key, e.getMessage());
        } catch (NumberFormatException e) {
            throw error(key, expected);
        }
        if (!(n instanceof Integer i) || i < min || i > max) {
            throw error(key, expected);
        }
        return i;
    }
}
