package io.wsproxy.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wsproxy.config.ConfigLoader;
import java.net.URI;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RouteTableTest {

    private static RouteTable table(String rulesYaml) {
        return new RouteTable(ConfigLoader.parse("rules:\n" + rulesYaml, Path.of("rules.yaml")).rules());
    }

    private static RouteTable oneRule(String pattern, String target, String rewrite) {
        return table("  - name: r\n    pattern: '" + pattern + "'\n    target: '" + target + "'\n"
                + (rewrite == null ? "" : "    rewrite: '" + rewrite + "'\n"));
    }

    static Stream<Arguments> upstreamUris() {
        return Stream.of(
                // pattern, target, rewrite, path, query, expected WebSocket URI
                Arguments.of("^/ws/chat(/.*)?$", "ws://chat-service:8080", "/chat$1", "/ws/chat/room-1", null,
                        "ws://chat-service:8080/chat/room-1"),
                Arguments.of("^/ws/chat(/.*)?$", "ws://chat-service:8080", "/chat$1", "/ws/chat", null,
                        "ws://chat-service:8080/chat"),
                Arguments.of("^/api", "http://api:80", "/v2", "/api/users", null, "ws://api:80/v2/users"),
                Arguments.of("^/ws", "ws://h:1/base", null, "/ws/a", null, "ws://h:1/base/ws/a"),
                Arguments.of("^/ws/chat(/.*)?$", "ws://h:1/base", "/chat$1", "/ws/chat/a", null, "ws://h:1/base/chat/a"),
                Arguments.of("^/ws", "ws://h:1/base/", null, "/ws/a", null, "ws://h:1/base/ws/a"),
                Arguments.of("^/ws", "ws://h:1/", null, "/ws/a", null, "ws://h:1/ws/a"),
                Arguments.of("^/ws", "ws://h:1", null, "/ws/a", null, "ws://h:1/ws/a"),
                Arguments.of("^/ws", "https://h", null, "/ws", null, "wss://h/ws"),
                Arguments.of("^/ws", "wss://h", null, "/ws", "", "wss://h/ws"),
                Arguments.of("^/ws", "ws://h", null, "/ws", "a=1&b=%20x%2F&c", "ws://h/ws?a=1&b=%20x%2F&c"),
                Arguments.of("^/ws", "ws://h", null, "/ws/%E2%82%AC", "q=%26", "ws://h/ws/%E2%82%AC?q=%26"),
                Arguments.of("^/ws", "ws://h", null, "/ws/a b|c", "x=1 2", "ws://h/ws/a%20b%7Cc?x=1%202"),
                Arguments.of("^/ws", "ws://[::1]:9000", null, "/ws", null, "ws://[::1]:9000/ws"));
    }

    @ParameterizedTest(name = "{0} -> {1} (rewrite {2}): {3} ? {4} -> {5}")
    @MethodSource("upstreamUris")
    void buildsTheUpstreamUri(String pattern, String target, String rewrite, String path, String query, String expected) {
        RouteMatch match = oneRule(pattern, target, rewrite).match(path);

        assertEquals(URI.create(expected), match.webSocketUri(query));
        assertEquals(expected, match.webSocketUri(query).toString());
    }

    @Test
    void httpUsesTheHttpSchemeAndTheSamePath() {
        RouteMatch plain = oneRule("^/api", "ws://h:81/base", "/v2").match("/api/users");
        RouteMatch secure = oneRule("^/api", "wss://h", null).match("/api");

        assertEquals("/base/v2/users?x=%2F", plain.upstreamPathAndQuery("x=%2F"));
        assertEquals("/base/v2/users", plain.upstreamPathAndQuery(null));
        assertEquals(URI.create("http://h:81/base/v2/users?x=1"), plain.httpUri("x=1"));
        assertEquals(URI.create("https://h/api"), secure.httpUri(null));
        assertEquals("/v2/users", plain.rewrittenPath());
    }

    @Test
    void hostHeaderAndOriginComeFromTheTarget() {
        RouteMatch withPort = oneRule("^/", "http://chat:8080/base", null).match("/x");
        RouteMatch withoutPort = oneRule("^/", "wss://chat.example.com", null).match("/x");

        assertEquals("chat:8080", withPort.hostHeader());
        assertEquals("chat.example.com", withoutPort.hostHeader());
        // the scheme as the target writes it, as the seed's example shows (ws://backend:8080)
        assertEquals("http://chat:8080", withPort.upstream().origin());
        assertEquals("wss://chat.example.com", withoutPort.upstream().origin());
    }

    @Test
    void firstMatchingRuleWins() {
        RouteTable table = table("""
                  - name: specific
                    pattern: ^/ws/chat/admin
                    target: ws://admin
                  - name: chat
                    pattern: ^/ws/chat
                    target: ws://chat
                  - name: catch-all
                    pattern: ^/
                    target: ws://default
                """);

        assertEquals("specific", table.match("/ws/chat/admin/x").rule().name());
        assertEquals("chat", table.match("/ws/chat/room").rule().name());
        assertEquals("catch-all", table.match("/other").rule().name());
    }

    @Test
    void patternMayMatchInTheMiddleOfThePath() {
        RouteMatch match = oneRule("/socket", "ws://h", null).match("/app/socket/1");

        assertEquals("ws://h/app/socket/1", match.webSocketUri(null).toString());
    }

    @Test
    void noMatchingRuleGivesNull() {
        assertNull(oneRule("^/ws", "ws://h", null).match("/api"));
        assertNull(oneRule("^/ws$", "ws://h", null).match("/ws/x"));
    }

    @Test
    void ruleWithoutTargetStillRewrites() {
        RouteMatch match = table("  - name: local\n    pattern: ^/local(/.*)$\n    rewrite: $1\n").match("/local/x");

        assertEquals("/x?q", match.upstreamPathAndQuery("q"));
        assertNull(match.webSocketUri(null));
        assertNull(match.httpUri(null));
        assertNull(match.hostHeader());
    }

    @Test
    void describesItsRoutes() {
        String text = oneRule("^/ws", "ws://h:1", "/x").toString();

        assertTrue(text.contains("r: ^/ws -> ws://h:1 rewrite /x"), text);
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 10, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aPatternThatBacktracksWithoutEndStopsAtItsBudgetNamingTheRule() {
        // three .* read on and back over each other: n^3 steps before the last one fails, hours for a long path
        // that a hostile client sends to hold an I/O thread (java.util.regex has no match limit of its own)
        RouteTable table = table("  - name: fine\n    pattern: '^/ok$'\n    target: 'ws://h:1'\n"
                + "  - name: careless\n    pattern: '^/api/(.*)/(.*)/(.*)/x$'\n    target: 'ws://h:1'\n");
        RouteTable.MatchTooCostly e = org.junit.jupiter.api.Assertions.assertThrows(RouteTable.MatchTooCostly.class,
                () -> table.match("/api/" + "/".repeat(3000) + "y"));
        assertEquals("careless", e.rule().name());
        assertEquals("fine", table.match("/ok").rule().name());
        assertEquals("careless", table.match("/api/a/b/c/x").rule().name());
    }

    @Test
    void aLinearPatternOnTheLongestPathAHeadCanHoldStaysWithinTheBudget() {
        // unanchored, so find() tries every position: the most a sound rule costs, times many rules
        StringBuilder rules = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            rules.append("  - name: r").append(i).append("\n    pattern: '/x").append(i).append("/[a-z]+$'\n")
                    .append("    target: 'ws://h:1'\n");
        }
        assertNull(table(rules.toString()).match("/" + "ab/".repeat(64 * 1024 / 3)));
    }
}
