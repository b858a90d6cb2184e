package io.wsproxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wsproxy.spi.InvalidOptionsException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ForwardOptionsTest {
    private static final TestRule RULE = TestRule.withTarget("ws://localhost:9000");

    @Test
    void defaults() throws Exception {
        ForwardOptions o = ForwardOptions.parse(RULE, Map.of());
        assertEquals(16, o.maxUpstreams());
        assertEquals(1 << 20, o.queueBytes());
        assertEquals(Duration.ofSeconds(10), o.connectTimeout());
        assertEquals(1 << 20, o.maxMessageBytes());
        assertEquals(OnUpstreamClose.CLOSE, o.onUpstreamClose());
    }

    @Test
    void everyOption() throws Exception {
        ForwardOptions o = ForwardOptions.parse(RULE, Map.of(
                "allow", List.of("wss://[a-z]+\\.example\\.com(/.*)?"),
                "self", List.of("https://Me.example.com/"),
                "maxUpstreams", 3, "queueBytes", "64KiB", "connectTimeout", "500ms", "maxMessageBytes", 1000,
                "onUpstreamClose", "event"));
        assertEquals(3, o.maxUpstreams());
        assertEquals(65536, o.queueBytes());
        assertEquals(Duration.ofMillis(500), o.connectTimeout());
        assertEquals(1000, o.maxMessageBytes());
        assertEquals(OnUpstreamClose.EVENT, o.onUpstreamClose());
        assertTrue(o.isSelf(UpstreamUrl.parse("wss://me.example.com:443")));
        assertTrue(o.allows(UpstreamUrl.parse("https://api.example.com/x")));
        assertFalse(o.allows(UpstreamUrl.parse("https://api.example.com.evil.org/x")));
        assertFalse(o.allows(UpstreamUrl.parse("ws://api.example.com/x")));
    }

    @Test
    void withoutAllowOnlySelfUrlsPass() throws Exception {
        ForwardOptions o = ForwardOptions.parse(RULE, Map.of("self", "wss://me.example.com"));
        assertTrue(o.allows(UpstreamUrl.parse("https://me.example.com/")));
        assertFalse(o.allows(UpstreamUrl.parse("wss://other.example.com")));
        assertFalse(ForwardOptions.parse(RULE, Map.of()).allows(UpstreamUrl.parse("ws://localhost:9000")));
    }

    @Test
    void rejectsWhatIsWrongNamingTheOption() {
        assertOption("allow", Map.of("allow", List.of("wss://(")));
        assertOption("self", Map.of("self", List.of("ftp://x")));
        assertOption("maxUpstreams", Map.of("maxUpstreams", 0));
        assertOption("queueBytes", Map.of("queueBytes", "lots"));
        assertOption("connectTimeout", Map.of("connectTimeout", "0ms"));
        assertOption("maxMessageBytes", Map.of("maxMessageBytes", -1));
        assertOption("onUpstreamClose", Map.of("onUpstreamClose", "ignore"));
        assertOption("alow", Map.of("alow", List.of(".*")));
    }

    @Test
    void selfNeedsATarget() {
        InvalidOptionsException e = assertThrows(InvalidOptionsException.class,
                () -> ForwardOptions.parse(TestRule.withTarget(null), Map.of("self", "wss://me.example.com")));
        assertEquals("self", e.option());
    }

    private static void assertOption(String option, Map<String, Object> options) {
        InvalidOptionsException e = assertThrows(InvalidOptionsException.class, () -> ForwardOptions.parse(RULE, options));
        assertEquals(option, e.option(), e.getMessage());
    }
}
