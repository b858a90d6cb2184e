package io.wsproxy.config;

import io.wsproxy.routing.PathRewriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/** Reads and validates one entry of {@code rules:}. */
final class RuleReader {
    static final List<String> FIELDS =
            List.of("name", "pattern", "target", "rewrite", "changeOrigin", "headers", "ws", "plugin", "options");

    private final Path file;

    RuleReader(Path file) {
        this.file = file;
    }

    Rule read(Node node, int index) {
        MappingReader fields = MappingReader.of(file, node, pathOf(node, index), FIELDS);
        String name = fields.requiredString("name");
        int control = HeaderChecks.firstControl(name, false);
        if (control >= 0) {
            // a name is written into every access-log line of its rule: a line break there would start another
            throw fields.error("name", "must not contain control characters (U+"
                    + String.format("%04X", (int) name.charAt(control)) + " at " + control + ")");
        }
        Pattern pattern = pattern(fields);
        URI target = target(fields);
        String rewrite = rewrite(fields, pattern);
        Map<String, String> headers = headers(fields);
        Map<String, Integer> optionLines = new LinkedHashMap<>();
        Node optionsNode = fields.value("options");
        Map<String, Object> options = optionsNode == null ? Map.of()
                : OptionValues.convert(file, optionsNode, fields.field("options"), optionLines);
        String plugin = fields.string("plugin");
        if (plugin != null && plugin.isBlank()) {
            throw fields.error("plugin", "must not be empty");
        }
        boolean ws = fields.bool("ws", true);
        if (!ws && target == null) {
            throw fields.error("ws", "a rule with ws: false is proxied as plain HTTP, and needs a target");
        }
        if (!ws && (plugin != null || optionsNode != null)) {
            String field = plugin != null ? "plugin" : "options";
            throw fields.error(field, "a plugin and its options handle WebSocket upgrades, which a rule with "
                    + "ws: false never takes");
        }
        SourceLocation location = new SourceLocation(file, fields.line(), fields.keyLines(), optionLines);
        return new Rule(name, pattern, target, rewrite, fields.bool("changeOrigin", false), headers,
                ws, plugin == null ? Rule.DEFAULT_PLUGIN : plugin, options, location);
    }

    /** {@code rules[1] (chat)}: the index, and the name when the entry has a readable one. */
    static String pathOf(Node node, int index) {
        String path = "rules[" + index + "]";
        if (node instanceof MappingNode mapping) {
            for (NodeTuple t : mapping.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals("name")
                        && t.getValueNode() instanceof ScalarNode v && !MappingReader.isNull(v)) {
                    // an error's one line: a name with a line break in it is refused, and printed escaped
                    return path + " (" + v.getValue().replace("\r", "\\r").replace("\n", "\\n") + ")";
                }
            }
        }
        return path;
    }

    private static Pattern pattern(MappingReader fields) {
        String regex = fields.string("pattern");
        if (regex == null) {
            throw fields.error("pattern", "missing required field");
        }
        if (regex.isEmpty()) {
            throw fields.error("pattern", "must not be empty (use '^/' to match every path)");
        }
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw fields.error("pattern", "invalid regex: " + e.getDescription()
                    + (e.getIndex() >= 0 ? " near index " + e.getIndex() : "") + " in '" + regex + "'");
        }
    }

    private static URI target(MappingReader fields) {
        String text = fields.string("target");
        if (text == null) {
            return null;
        }
        try {
            return TargetUris.parse(text.strip());
        } catch (IllegalArgumentException e) {
            throw fields.error("target", e.getMessage());
        }
    }

    private static String rewrite(MappingReader fields, Pattern pattern) {
        String rewrite = fields.string("rewrite");
        if (rewrite != null) {
            // it goes into the request line: a space or a line break there would make another request, and a '?'
            // a second query in front of the client's
            int control = HeaderChecks.firstControl(rewrite, false);
            int beyond = HeaderChecks.firstBeyondAscii(rewrite);
            int bad = control >= 0 ? control : beyond >= 0 ? beyond : firstOf(rewrite, " ?#");
            if (bad >= 0) {
                throw fields.error("rewrite", "must be a path: no spaces, control characters, '?', '#' or characters "
                        + "beyond ASCII (percent-encode them; the query is the client's), found U+"
                        + String.format("%04X", (int) rewrite.charAt(bad)) + " at " + bad);
            }
        }
        try {
            PathRewriter.compile(rewrite, pattern.matcher("").groupCount());
        } catch (IllegalArgumentException e) {
            throw fields.error("rewrite", e.getMessage());
        }
        return rewrite;
    }

    private static int firstOf(String text, String characters) {
        for (int i = 0; i < text.length(); i++) {
            if (characters.indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private Map<String, String> headers(MappingReader fields) {
        Node node = fields.value("headers");
        if (node == null) {
            return Map.of();
        }
        String path = fields.field("headers");
        if (!(node instanceof MappingNode mapping)) {
            throw fields.error("headers", "expected a mapping of header names to values, got "
                    + MappingReader.describe(node));
        }
        Map<String, String> headers = new LinkedHashMap<>();
        Map<String, String> seen = new LinkedHashMap<>();
        for (Map.Entry<String, NodeTuple> e : MappingReader.entries(file, mapping, path).entrySet()) {
            String name = e.getKey();
            Node value = e.getValue().getValueNode();
            int line = MappingReader.lineOf(e.getValue().getKeyNode());
            String field = path + "." + name;
            String problem = HeaderChecks.nameProblem(name);
            if (problem == null && (!(value instanceof ScalarNode) || MappingReader.isNull(value))) {
                problem = "expected a header value as text (\"\" for an empty one), got " + MappingReader.describe(value);
            }
            if (problem == null) {
                problem = HeaderChecks.valueProblem(((ScalarNode) value).getValue());
            }
            String sameName = seen.putIfAbsent(name.toLowerCase(Locale.ROOT), name);
            if (problem == null && sameName != null) {
                problem = "header set twice (as '" + sameName + "' too; header names ignore case)";
            }
            if (problem != null) {
                throw new ConfigException(file, line, field, problem);
            }
            headers.put(name, ((ScalarNode) value).getValue());
        }
        return headers;
    }
}
