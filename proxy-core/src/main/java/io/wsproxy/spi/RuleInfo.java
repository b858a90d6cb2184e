package io.wsproxy.spi;

import java.net.URI;
import java.util.Map;

/** What a plugin may know about the rule it serves: the validated, immutable rule as written in rules.yaml. */
public interface RuleInfo {
    String name();

    /** The target URI as written, or null for a rule without a target. */
    URI target();

    boolean changeOrigin();

    /** Headers set on every upstream request of this rule (already checked for CR/LF). */
    Map<String, String> headers();

    boolean ws();

    String plugin();
}
