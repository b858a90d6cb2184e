package io.wsproxy.forward;

import io.wsproxy.spi.RuleInfo;
import java.net.URI;
import java.util.Map;

record TestRule(String name, URI target, boolean changeOrigin, Map<String, String> headers, boolean ws, String plugin)
        implements RuleInfo {

    static TestRule withTarget(String target) {
        return new TestRule("test", target == null ? null : URI.create(target), false, Map.of(), true, "forward");
    }
}
