package io.wsproxy.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Rewrites behave like JavaScript's {@code path.replace(new RegExp(pattern), rewrite)}. */
class PathRewriterTest {

    static Stream<Arguments> rewrites() {
        return Stream.of(
                // pattern, rewrite, path, expected
                Arguments.of("^/ws/chat(/.*)?$", "/chat$1", "/ws/chat/room-1", "/chat/room-1"),
                Arguments.of("^/ws/chat(/.*)?$", "/chat$1", "/ws/chat", "/chat"),
                Arguments.of("^/api/(.*)$", "$1", "/api/users", "/users"),
                Arguments.of("^/api/(.*)$", "$1", "/api/", "/"),
                Arguments.of("^/v1(/.*)$", "/old$0", "/v1/x", "/old/v1/x"),
                Arguments.of("^/price$", "/cost$$", "/price", "/cost$"),
                Arguments.of("^/a$", "/b$x", "/a", "/b$x"),
                Arguments.of("^/a$", "/b$", "/a", "/b$"),
                Arguments.of("^/api", "/v2", "/api/users", "/v2/users"),
                Arguments.of("/internal/", "/", "/svc/internal/x", "/svc/x"),
                Arguments.of("^/(\\w+)/(\\w+)$", "/$2/$1", "/a/b", "/b/a"),
                Arguments.of("^/(a)$", "/$10", "/a", "/a0"),
                Arguments.of("^/(x)?y$", "/[$1]", "/y", "/[]"),
                Arguments.of("^/a", "", "/a/b", "/b"),
                Arguments.of("^/a/b$", "", "/a/b", "/"),
                Arguments.of("^/a", null, "/a/b", "/a/b"));
    }

    @ParameterizedTest(name = "{0} + {1} on {2} -> {3}")
    @MethodSource("rewrites")
    void rewritesTheMatchedPartAndKeepsTheRest(String pattern, String rewrite, String path, String expected) {
        Pattern p = Pattern.compile(pattern);
        Matcher m = p.matcher(path);
        assertTrue(m.find());

        assertEquals(expected, PathRewriter.compile(rewrite, m.groupCount()).rewrite(path, m));
    }

    @Test
    void refusesAGroupThePatternDoesNotHave() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PathRewriter.compile("/$2", 1));

        assertEquals("$2 refers to group 2 but the pattern has 1 group (use $$ for a literal $)", e.getMessage());
        PathRewriter.compile("/$$2", 0);
    }

    @Test
    void describesItsTemplate() {
        assertEquals("PathRewriter[/chat$1]", PathRewriter.compile("/chat$1", 1).toString());
        assertEquals("PathRewriter[keep path]", PathRewriter.keepPath().toString());
    }
}
