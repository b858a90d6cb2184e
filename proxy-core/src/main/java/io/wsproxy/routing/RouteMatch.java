package io.wsproxy.routing;

import io.wsproxy.config.Rule;
import java.net.URI;

/**
 * A request path matched to a rule.
 *
 * @param rule          the first rule whose pattern was found in the path
 * @param rewrittenPath the path after the rule's rewrite, starting with /, before the target's base path
 * @param upstream      the rule's target, worked out once; null for a rule without a target
 */
public record RouteMatch(Rule rule, String rewrittenPath, UpstreamTarget upstream) {

    /**
     * The request target to send upstream: the target's base path, the rewritten path, and {@code ?} plus the
     * client's raw query exactly as sent when there is one.
     */
    public String upstreamPathAndQuery(String rawQuery) {
        return upstream == null ? rewrittenPath + UpstreamTarget.query(rawQuery)
                : upstream.pathAndQuery(rewrittenPath, rawQuery);
    }

    /** The upstream WebSocket URI (scheme ws or wss), or null for a rule without a target. */
    public URI webSocketUri(String rawQuery) {
        return upstream == null ? null : upstream.webSocketUri(rewrittenPath, rawQuery);
    }

    /** The upstream HTTP URI (scheme http or https), or null for a rule without a target. */
    public URI httpUri(String rawQuery) {
        return upstream == null ? null : upstream.httpUri(rewrittenPath, rawQuery);
    }

    /** The Host header for {@code changeOrigin}: the target's host[:port]; null for a rule without a target. */
    public String hostHeader() {
        return upstream == null ? null : upstream.hostHeader();
    }

    @Override
    public String toString() {
        return "RouteMatch[" + rule.name() + " -> " + (upstream == null ? "(no target)" : upstream) + " "
                + rewrittenPath + "]";
    }
}
