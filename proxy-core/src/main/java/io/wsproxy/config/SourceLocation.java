package io.wsproxy.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where a rule sits in its file, field by field, so errors found after loading (an unknown plugin, a rejected
 * option) still point at the line to fix.
 *
 * @param line        the rule's first line (1-based)
 * @param fieldLines  the line of each field the rule sets, by field name ({@code pattern}, {@code options}...)
 * @param optionLines the line of each plugin option, by option key
 */
public record SourceLocation(Path file, int line, Map<String, Integer> fieldLines, Map<String, Integer> optionLines) {

    public SourceLocation {
        Objects.requireNonNull(file, "file");
        fieldLines = Map.copyOf(fieldLines);
        optionLines = Map.copyOf(optionLines);
    }

    /** The field's line, or the rule's when the field is not set. */
    public int line(String field) {
        return fieldLines.getOrDefault(field, line);
    }

    /** The option's line, else the {@code options} field's, else the rule's. */
    public int optionLine(String option) {
        Integer l = option == null ? null : optionLines.get(option);
        return l != null ? l : line("options");
    }

    /** {@code rules.yaml:14}: the field's file and line, for messages. */
    public String at(String field) {
        return file + ":" + line(field);
    }

    /** {@code rules.yaml:17}: the option's file and line, for messages. */
    public String atOption(String option) {
        return file + ":" + optionLine(option);
    }

    @Override
    public String toString() {
        return file + ":" + line;
    }
}
