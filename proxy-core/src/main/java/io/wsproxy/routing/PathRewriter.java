package io.wsproxy.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.MatchResult;

/**
 * A rule's {@code rewrite:} template, compiled once into literal parts and group references. Works like
 * JavaScript's {@code path.replace(re, rewrite)} with a non-global regex: the matched part of the path is replaced
 * by the expanded template and the rest is kept.
 *
 * <p>Template syntax: {@code $0}..{@code $9} insert a group ({@code $0} the whole match; one digit only, so
 * {@code $10} is group 1 then "0"), a group that did not take part inserts nothing, {@code $$} is a literal
 * {@code $}, and any other {@code $} is itself.
 */
public final class PathRewriter {
    private static final PathRewriter KEEP_PATH = new PathRewriter(null, List.of(""), new int[0]);

    private final String template;
    // literals.get(i) goes before group groups[i]; the last literal ends the template
    private final List<String> literals;
    private final int[] groups;

    private PathRewriter(String template, List<String> literals, int[] groups) {
        this.template = template;
        this.literals = literals;
        this.groups = groups;
    }

    /** The rewriter of a rule without {@code rewrite:}: the path stays as it is. */
    public static PathRewriter keepPath() {
        return KEEP_PATH;
    }

    /**
     * @param template   the rewrite as written, or null to keep the path
     * @param groupCount how many groups the rule's pattern has
     * @throws IllegalArgumentException when the template refers to a group the pattern does not have
     */
    public static PathRewriter compile(String template, int groupCount) {
        if (template == null) {
            return KEEP_PATH;
        }
        List<String> literals = new ArrayList<>();
        List<Integer> groups = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            char next = i + 1 < template.length() ? template.charAt(i + 1) : 0;
            if (c == '$' && next >= '0' && next <= '9') {
                int group = next - '0';
                if (group > groupCount) {
                    throw new IllegalArgumentException("$" + group + " refers to group " + group + " but the pattern has "
                            + (groupCount == 1 ? "1 group" : groupCount + " groups") + " (use $$ for a literal $)");
                }
                literals.add(literal.toString());
                literal.setLength(0);
                groups.add(group);
                i++;
            } else if (c == '$' && next == '$') {
                literal.append('$');
                i++;
            } else {
                literal.append(c);
            }
        }
        literals.add(literal.toString());
        return new PathRewriter(template, List.copyOf(literals), groups.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * @param path  the raw path the rule's pattern was matched on
     * @param match that pattern's successful {@code find()} on {@code path}
     * @return the new path, always starting with {@code /}
     */
    public String rewrite(String path, MatchResult match) {
        if (template == null) {
            return path;
        }
        StringBuilder out = new StringBuilder(path.length() + template.length());
        out.append(path, 0, match.start());
        for (int i = 0; i < groups.length; i++) {
            out.append(literals.get(i));
            String group = match.group(groups[i]);
            if (group != null) {
                out.append(group);
            }
        }
        out.append(literals.get(groups.length));
        out.append(path, match.end(), path.length());
        if (out.length() == 0 || out.charAt(0) != '/') {
            out.insert(0, '/');
        }
        return out.toString();
    }

    /** The template as written, or null when the path is kept. */
    public String template() {
        return template;
    }

    @Override
    public String toString() {
        return template == null ? "PathRewriter[keep path]" : "PathRewriter[" + template + "]";
    }
}
