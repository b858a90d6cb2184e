package io.wsproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every way rules.yaml can be wrong, each with the line and the message the user sees. */
class ConfigErrorsTest {
    private static final Path FILE = Path.of("rules.yaml");
    private static final String RULE = "rules:\n  - name: chat\n    pattern: ^/ws\n";

    static Stream<Arguments> brokenFiles() {
        return Stream.of(
                error("yaml syntax error", "rules:\n  - name: a\n    pattern: [^/\n",
                        "rules.yaml:4: YAML syntax error: expected ',' or ']'"),
                error("yaml syntax error in mapping", "server:\n  port: 1: 2\n",
                        "rules.yaml:2: YAML syntax error: mapping values are not allowed here"),
                error("two documents", "rules: []\n---\nrules: []\n", "rules.yaml:2: YAML syntax error: "),
                error("empty file", "", "rules.yaml:1: empty file"),
                error("only comments", "# nothing yet\n", "rules.yaml:1: empty file"),
                error("top level is not a mapping", "- a\n",
                        "rules.yaml:1: expected a mapping with fields server, plugins, rules, got a list"),
                error("unknown top-level field", "rule: []\n",
                        "rules.yaml:1: rule: unknown field; allowed: server, plugins, rules"),
                error("unknown server field", "server:\n  prot: 80\n" + RULE,
                        "rules.yaml:2: server.prot: unknown field; allowed: port, host"),
                error("unknown plugins field", "plugins:\n  directory: x\n" + RULE,
                        "rules.yaml:2: plugins.directory: unknown field; allowed: dir"),
                error("unknown rule field", RULE + "    patern: x\n",
                        "rules.yaml:4: rules[0] (chat).patern: unknown field; allowed: name, pattern, target, rewrite, "
                                + "changeOrigin, headers, ws, plugin, options"),
                error("ws is not a boolean", RULE + "    ws: maybe\n",
                        "rules.yaml:4: rules[0] (chat).ws: expected true or false, got 'maybe'"),
                error("ws tagged a boolean but none", RULE + "    ws: !!bool maybe\n",
                        "rules.yaml:4: rules[0] (chat).ws: expected true or false, got 'maybe'"),
                error("option tagged a boolean but none", RULE + "    options:\n      strict: !!bool maybe\n",
                        "rules.yaml:5: rules[0] (chat).options.strict: expected true or false, got 'maybe'"),
                error("name with a line break", "rules:\n  - name: \"chat\\nrule=admin\"\n    pattern: ^/\n",
                        "rules.yaml:2: rules[0] (chat\\nrule=admin).name: must not contain control characters (U+000A at 4)"),
                error("header value with a NUL", RULE + "    headers:\n      X-A: \"a\\0b\"\n",
                        "rules.yaml:5: rules[0] (chat).headers.X-A: header value must not contain control characters (U+0000 at 1)"),
                error("header value beyond ASCII", RULE + "    headers:\n      X-A: \"h\u00e9llo\"\n",
                        "rules.yaml:5: rules[0] (chat).headers.X-A: header value must be ASCII (U+00E9 at 1)"),
                error("header that frames the message", RULE + "    headers:\n      content-length: \"5\"\n",
                        "rules.yaml:5: rules[0] (chat).headers.content-length: header 'content-length' frames the "
                                + "message or its connection, which the proxy sets itself for each hop"),
                error("header of the handshake", RULE + "    headers:\n      Sec-WebSocket-Key: \"x\"\n",
                        "rules.yaml:5: rules[0] (chat).headers.Sec-WebSocket-Key: header 'Sec-WebSocket-Key' frames"),
                error("rewrite with a line break", RULE + "    rewrite: \"/x\\r\\nX-Injected: 1\"\n",
                        "rules.yaml:4: rules[0] (chat).rewrite: must be a path: no spaces, control characters, '?', '#' "
                                + "or characters beyond ASCII (percent-encode them; the query is the client's), found "
                                + "U+000D at 2"),
                error("rewrite with a space", RULE + "    rewrite: \"/y z\"\n",
                        "rules.yaml:4: rules[0] (chat).rewrite: must be a path: no spaces"),
                error("rewrite with a query", RULE + "    rewrite: \"/x?q=1\"\n",
                        "rules.yaml:4: rules[0] (chat).rewrite: must be a path: no spaces, control characters, '?'"),
                error("ws false without a target", RULE + "    ws: false\n",
                        "rules.yaml:4: rules[0] (chat).ws: a rule with ws: false is proxied as plain HTTP, and needs "
                                + "a target"),
                error("ws false with a plugin", RULE + "    target: http://h\n    ws: false\n    plugin: forward\n",
                        "rules.yaml:6: rules[0] (chat).plugin: a plugin and its options handle WebSocket upgrades, "
                                + "which a rule with ws: false never takes"),
                error("duration in base 60", "server:\n  connectTimeout: 1:30\n" + RULE,
                        "rules.yaml:2: server.connectTimeout: '1:30' is a base-60 number in YAML 1.1 (1:30 is 90): "
                                + "write the number or duration you mean (90, 90s), or quote it"),
                error("port in octal", "server:\n  port: 010\n" + RULE,
                        "rules.yaml:2: server.port: '010' is an octal number in YAML 1.1 (010 is 8)"),
                error("size in octal", "server:\n  maxHeaderBytes: 0100000\n" + RULE,
                        "rules.yaml:2: server.maxHeaderBytes: '0100000' is an octal number in YAML 1.1"),
                error("option in octal", RULE + "    options: { maxMessageBytes: 01000 }\n",
                        "rules.yaml:4: rules[0] (chat).options.maxMessageBytes: '01000' is an octal number in YAML 1.1"),
                error("changeOrigin is a string", RULE + "    changeOrigin: \"true\"\n",
                        "rules.yaml:4: rules[0] (chat).changeOrigin: expected true or false, got 'true'"),
                error("port is not a number", "server:\n  port: abc\n" + RULE,
                        "rules.yaml:2: server.port: expected a whole number from 0 to 65535, got 'abc'"),
                error("port out of range", "server:\n  port: 65536\n" + RULE,
                        "rules.yaml:2: server.port: expected a whole number from 0 to 65535, got '65536'"),
                error("negative port", "server:\n  port: -1\n" + RULE,
                        "rules.yaml:2: server.port: expected a whole number from 0 to 65535, got '-1'"),
                error("server is a list", "server: [1]\n" + RULE,
                        "rules.yaml:1: server: expected a mapping with fields port, host, connectTimeout, responseTimeout, bodyTimeout, "
                                + "headerTimeout, keepAliveTimeout, maxHeaderBytes, maxConnections, tcpKeepAlive, metricsPath, tls, upstreamCa, got a list"),
                error("metrics path without its slash", "server:\n  metricsPath: metrics\n" + RULE,
                        "rules.yaml:2: server.metricsPath: expected a path such as /metrics (a slash first, no query, "
                                + "no spaces), got 'metrics'"),
                error("name is a list", "rules:\n  - name: [a]\n    pattern: ^/\n",
                        "rules.yaml:2: rules[0].name: expected text, got a list"),
                error("missing name", "rules:\n  - pattern: ^/\n",
                        "rules.yaml:2: rules[0].name: missing required field"),
                error("empty name", "rules:\n  - name: \"\"\n    pattern: ^/\n",
                        "rules.yaml:2: rules[0] ().name: must not be empty"),
                error("missing pattern", "rules:\n  - name: a\n  - name: b\n    target: ws://x\n",
                        "rules.yaml:2: rules[0] (a).pattern: missing required field"),
                error("missing pattern in second rule", "rules:\n  - name: a\n    pattern: ^/a\n  - name: b\n",
                        "rules.yaml:4: rules[1] (b).pattern: missing required field"),
                error("empty pattern", "rules:\n  - name: a\n    pattern: ''\n",
                        "rules.yaml:3: rules[0] (a).pattern: must not be empty"),
                error("rule is not a mapping", "rules:\n  - just-a-name\n",
                        "rules.yaml:2: rules[0]: expected a mapping with fields name, pattern"),
                error("no rules key", "server:\n  port: 80\n", "rules.yaml:1: rules: no rules"),
                error("empty rules list", "rules: []\n", "rules.yaml:1: rules: no rules"),
                error("null rules", "rules:\n", "rules.yaml:1: rules: no rules"),
                error("rules is a mapping", "rules:\n  a: b\n", "rules.yaml:1: rules: expected a list of rules, got a mapping"),
                error("duplicate rule name", RULE + "  - name: other\n    pattern: ^/o\n  - name: chat\n    pattern: ^/c\n",
                        "rules.yaml:6: rules[2] (chat).name: duplicate rule name 'chat' (first used at line 2)"),
                error("invalid regex", "rules:\n  - name: chat\n    pattern: ^/ws/(chat\n",
                        "rules.yaml:3: rules[0] (chat).pattern: invalid regex: Unclosed group near index 10 in '^/ws/(chat'"),
                error("rewrite refers to a missing group", RULE.replace("^/ws", "^/ws(/.*)") + "    rewrite: /x$2\n",
                        "rules.yaml:4: rules[0] (chat).rewrite: $2 refers to group 2 but the pattern has 1 group"),
                error("rewrite refers to a group of a pattern without groups", RULE + "    rewrite: /x$1\n",
                        "rules.yaml:4: rules[0] (chat).rewrite: $1 refers to group 1 but the pattern has 0 groups"),
                error("unsupported target scheme", RULE + "    target: ftp://files:21\n",
                        "rules.yaml:4: rules[0] (chat).target: unsupported scheme 'ftp' in 'ftp://files:21'; "
                                + "supported: ws, wss, http, https"),
                error("target without scheme", RULE + "    target: chat-service\n",
                        "rules.yaml:4: rules[0] (chat).target: unsupported scheme (none)"),
                error("target without host", RULE + "    target: ws:///path\n",
                        "rules.yaml:4: rules[0] (chat).target: target has no host"),
                error("target with an invalid host name", RULE + "    target: ws://chat_service:8080\n",
                        "rules.yaml:4: rules[0] (chat).target: target has no valid host name in 'chat_service:8080'"),
                error("target with a query", RULE + "    target: ws://h/?a=1\n",
                        "rules.yaml:4: rules[0] (chat).target: target must not carry a query"),
                error("target with a fragment", RULE + "    target: ws://h/#x\n",
                        "rules.yaml:4: rules[0] (chat).target: target must not carry a fragment"),
                error("target port beyond 65535", RULE + "    target: ws://h:65536\n",
                        "rules.yaml:4: rules[0] (chat).target: port 65536 out of range in 'ws://h:65536' (1 to 65535)"),
                error("target port 0", RULE + "    target: http://h:0/base\n",
                        "rules.yaml:4: rules[0] (chat).target: port 0 out of range in 'http://h:0/base' (1 to 65535)"),
                error("target with user info", RULE + "    target: ws://me:pw@h/\n",
                        "rules.yaml:4: rules[0] (chat).target: target must not carry user info"),
                error("target that is not a URI", RULE + "    target: ws://h/a b\n",
                        "rules.yaml:4: rules[0] (chat).target: invalid URI: Illegal character in path"),
                error("header name that is not a token", RULE + "    headers:\n      X Bad: 1\n",
                        "rules.yaml:5: rules[0] (chat).headers.X Bad: header name 'X Bad' is not an HTTP token"),
                error("header name with a colon", RULE + "    headers:\n      \"X-A:\": 1\n",
                        "rules.yaml:5: rules[0] (chat).headers.X-A:: header name 'X-A:' is not an HTTP token"),
                error("header value with LF", RULE + "    headers:\n      X-A: \"a\\nInjected: 1\"\n",
                        "rules.yaml:5: rules[0] (chat).headers.X-A: header value must not contain CR or LF: 'a\\nInjected: 1'"),
                error("header value with CR", RULE + "    headers:\n      X-A: \"a\\rb\"\n",
                        "rules.yaml:5: rules[0] (chat).headers.X-A: header value must not contain CR or LF"),
                error("header name with CR", RULE + "    headers:\n      \"X-A\\r\": b\n",
                        "rules.yaml:5: rules[0] (chat).headers.X-A\r: header name 'X-A\\r' is not an HTTP token"),
                error("header without value", RULE + "    headers:\n      X-A:\n",
                        "rules.yaml:5: rules[0] (chat).headers.X-A: expected a header value as text"),
                error("header set twice in different case", RULE + "    headers:\n      X-A: 1\n      x-a: 2\n",
                        "rules.yaml:6: rules[0] (chat).headers.x-a: header set twice (as 'X-A' too"),
                error("headers is a list", RULE + "    headers: [a]\n",
                        "rules.yaml:4: rules[0] (chat).headers: expected a mapping of header names to values, got a list"),
                error("duplicate key in a rule", RULE + "    pattern: ^/other\n",
                        "rules.yaml:4: rules[0] (chat).pattern: duplicate key (first at line 3)"),
                error("duplicate top-level key", RULE + "rules: []\n",
                        "rules.yaml:4: rules: duplicate key (first at line 1)"),
                error("duplicate header", RULE + "    headers:\n      X-A: 1\n      X-A: 2\n",
                        "rules.yaml:6: rules[0] (chat).headers.X-A: duplicate key (first at line 5)"),
                error("duplicate option", RULE + "    options:\n      a: 1\n      a: 2\n",
                        "rules.yaml:6: rules[0] (chat).options.a: duplicate key (first at line 5)"),
                error("duplicate nested option", RULE + "    options:\n      a:\n        b: 1\n        b: 2\n",
                        "rules.yaml:7: rules[0] (chat).options.a.b: duplicate key (first at line 6)"),
                error("options is a list", RULE + "    options: [a]\n",
                        "rules.yaml:4: rules[0] (chat).options: expected a mapping of plugin options, got a list"),
                error("option with a local tag", RULE + "    options:\n      a: !custom x\n",
                        "rules.yaml:5: rules[0] (chat).options.a: unsupported YAML tag !custom"),
                error("option with a global tag", RULE + "    options:\n      a: !!java.io.File /etc\n",
                        "rules.yaml:5: YAML syntax error: Global tag is not allowed"),
                error("option beyond a long", RULE + "    options:\n      a: 99999999999999999999\n",
                        "rules.yaml:5: rules[0] (chat).options.a: number out of range or malformed"),
                error("recursive alias in options", RULE + "    options:\n      a: &x [*x]\n",
                        "rules.yaml:5: rules[0] (chat).options.a[0]: an alias refers to a value that contains it"),
                error("merge key", RULE + "    <<: {ws: false}\n", "rules.yaml:4: rules[0] (chat): keys must be plain text"),
                error("empty plugin", RULE + "    plugin: ''\n", "rules.yaml:4: rules[0] (chat).plugin: must not be empty"),
                error("empty host", "server:\n  host: ''\n" + RULE, "rules.yaml:2: server.host: must not be empty"),
                error("too many aliases", RULE + "    options:\n      a: &a [x]\n      b: [" + "*a, ".repeat(60) + "]\n",
                        "rules.yaml: YAML error: Number of aliases"),
                error("nested too deep", RULE + "    options:\n      a: " + "[".repeat(60) + "]".repeat(60) + "\n",
                        "rules.yaml:5: lists and mappings nested more than 50 deep"),
                error("too many values", RULE + "    options:\n      a: [" + "1,".repeat(YamlComposer.MAX_EVENTS) + "1]\n",
                        "rules.yaml:5: too many YAML values (more than 100000 nodes) for a rules file"));
    }

    private static Arguments error(String what, String yaml, String expectedStart) {
        return Arguments.of(what, yaml, expectedStart);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenFiles")
    void failsWithFileLineFieldAndProblem(String what, String yaml, String expectedStart) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, FILE));

        assertTrue(e.getMessage().startsWith(expectedStart),
                () -> what + "\n expected start: " + expectedStart + "\n actual:         " + e.getMessage());
        assertEquals(FILE, e.file());
    }

    /** Billion laughs within SnakeYAML's alias limit: 48 aliases, each list thrice the one before, 3^17 values. */
    @Test
    @Timeout(value = 10, threadMode = ThreadMode.SEPARATE_THREAD)
    void optionsThatAliasesBlowUpAreRefusedNotExpanded() {
        StringBuilder yaml = new StringBuilder(RULE + "    options:\n      l0: &l0 [x, x, x]\n");
        for (int i = 1; i <= 16; i++) {
            yaml.append("      l").append(i).append(": &l").append(i).append(" [*l").append(i - 1).append(", *l")
                    .append(i - 1).append(", *l").append(i - 1).append("]\n");
        }

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml.toString(), FILE));

        assertTrue(e.getMessage().matches("rules\\.yaml:\\d+: rules\\[0] \\(chat\\)\\.options\\.l\\d+: too large once its "
                + "aliases are expanded.*"), e.getMessage());
    }

    /** One long text, repeated by alias, would make a plugin's error message (which quotes the value) gigabytes long. */
    @Test
    @Timeout(value = 10, threadMode = ThreadMode.SEPARATE_THREAD)
    void optionsThatAliasesOfOneLongTextBlowUpAreRefused() {
        String yaml = RULE + "    options:\n      s: &s " + "x".repeat(100_000) + "\n      a: [" + "*s, ".repeat(1000) + "]\n";

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, FILE));

        assertTrue(e.getMessage().startsWith("rules.yaml:6: rules[0] (chat).options.a: too large once its aliases are "
                + "expanded"), e.getMessage());
    }
}
