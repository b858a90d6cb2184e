package io.wsproxy.routing;

import io.wsproxy.config.Rule;
import java.util.List;
import java.util.regex.Matcher;
import java.util.stream.Collectors;

/** The rules compiled for matching: tried in file order, the first whose pattern is found in the path wins. */
public final class RouteTable {
    private final List<Route> routes;

    /** One rule with what it needs at request time, compiled once. */
    private record Route(Rule rule, PathRewriter rewriter, UpstreamTarget upstream) {
        static Route compile(Rule rule) {
            return new Route(rule, PathRewriter.compile(rule.rewrite(), rule.pattern().matcher("").groupCount()),
                    rule.target() == null ? null : UpstreamTarget.of(rule.target()));
        }

        @Override
        public String toString() {
            return rule.name() + ": " + rule.pattern().pattern() + " -> " + (upstream == null ? "(no target)" : upstream)
                    + (rewriter.template() == null ? "" : " rewrite " + rewriter.template());
        }
    }

    public RouteTable(List<Rule> rules) {
        this.routes = rules.stream().map(Route::compile).toList();
    }

    /**
     * @param rawPath the request path as sent, without the query
     * @return the first matching rule with the rewritten path, or null when no rule matches
     * @throws MatchTooCostly when the rules read the path more than its budget allows ({@link CountedPath})
     */
    public RouteMatch match(String rawPath) {
        CountedPath counted = new CountedPath(rawPath);
        for (Route route : routes) {
            Matcher m = route.rule().pattern().matcher(counted);
            boolean found;
            try {
                found = m.find();
            } catch (CountedPath.Exhausted e) {
                throw new MatchTooCostly(route.rule(), rawPath.length());
            }
            if (found) {
                return new RouteMatch(route.rule(), route.rewriter().rewrite(rawPath, m), route.upstream());
            }
        }
        return null;
    }

    /** A rule's pattern backtracked past the budget on a path: the request cannot be routed. */
    public static final class MatchTooCostly extends RuntimeException {
        private final transient Rule rule;

        MatchTooCostly(Rule rule, int pathLength) {
            super("rule '" + rule.name() + "': pattern '" + rule.pattern().pattern() + "' gave up on a path of "
                    + pathLength + " bytes, past its matching budget (repeated quantifiers such as"
                    + " /(.*)/(.*)/ backtrack without end on some paths)", null, false, false);
            this.rule = rule;
        }

        public Rule rule() {
            return rule;
        }
    }

    public List<Rule> rules() {
        return routes.stream().map(Route::rule).toList();
    }

    @Override
    public String toString() {
        return routes.stream().map(Route::toString).collect(Collectors.joining(", ", "RouteTable[", "]"));
    }
}
