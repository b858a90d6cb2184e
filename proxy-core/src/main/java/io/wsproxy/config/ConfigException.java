package io.wsproxy.config;

import java.nio.file.Path;

/**
 * The rules file is wrong. The message reads {@code <file>:<line>: <field path>: <what is wrong>} so an editor can
 * jump to it; the parts are kept apart for callers that want them.
 */
public class ConfigException extends RuntimeException {
    private final Path file;
    private final int line;
    private final String field;
    private final String problem;

    /**
     * @param line  1-based; 0 when the problem has no line (the file could not be read)
     * @param field the field path such as {@code rules[1] (chat).pattern}, or null when the problem concerns no field
     */
    public ConfigException(Path file, int line, String field, String problem) {
        this(file, line, field, problem, null);
    }

    public ConfigException(Path file, int line, String field, String problem, Throwable cause) {
        super(format(file, line, field, problem), cause);
        this.file = file;
        this.line = line;
        this.field = field;
        this.problem = problem;
    }

    /** An error a later phase finds in one of a rule's fields, such as an unknown plugin. */
    public static ConfigException forRule(Rule rule, String field, String problem) {
        SourceLocation at = rule.location();
        return new ConfigException(at.file(), at.line(field), rulePath(rule) + "." + field, problem);
    }

    /** An error in one of a rule's plugin options; {@code option} may be null when it concerns them all. */
    public static ConfigException forOption(Rule rule, String option, String problem) {
        SourceLocation at = rule.location();
        String field = option == null ? "options" : "options." + option;
        return new ConfigException(at.file(), at.optionLine(option), rulePath(rule) + "." + field, problem);
    }

    public Path file() {
        return file;
    }

    public int line() {
        return line;
    }

    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }

    private static String rulePath(Rule rule) {
        return "rules (" + rule.name() + ")";
    }

    private static String format(Path file, int line, String field, String problem) {
        StringBuilder sb = new StringBuilder().append(file);
        if (line > 0) {
            sb.append(':').append(line);
        }
        sb.append(": ");
        if (field != null && !field.isEmpty()) {
            sb.append(field).append(": ");
        }
        return sb.append(problem).toString();
    }
}
