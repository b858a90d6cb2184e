package io.wsproxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UpstreamUrlTest {

    @ParameterizedTest
    @CsvSource({
            "https://example.com,            wss://example.com",
            "https://example.com/,           wss://example.com",
            "HTTPS://EXAMPLE.com:443/,       wss://example.com",
            "wss://example.com:8443/a/,      wss://example.com:8443/a",
            "http://example.com:80/seed-kt,  ws://example.com/seed-kt",
            "ws://example.com:443,           ws://example.com:443",
            "ws://[::1]:9000/x?q=1,          ws://[::1]:9000/x?q=1",
    })
    void normalises(String written, String normalized) {
        UpstreamUrl url = UpstreamUrl.parse(written);
        assertEquals(normalized, url.normalized());
        assertEquals(written, url.written());
    }

    @Test
    void dialsWebSocketSchemesKeepingPathAndQuery() {
        assertEquals(URI.create("wss://example.com/"), UpstreamUrl.parse("https://Example.com").dialUri());
        assertEquals(URI.create("ws://h:81/a/?x=%20"), UpstreamUrl.parse("http://h:81/a/?x=%20").dialUri());
    }

    @Test
    void originKeepsTheSchemeAsWritten() {
        assertEquals("https://example.com", UpstreamUrl.parse("https://Example.com/x").origin());
        assertEquals("ws://h:81", UpstreamUrl.parse("ws://h:81").origin());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://example.com", "file:///etc/passwd", "example.com", "mailto:a@b", "ws://",
            "ws://user:pw@example.com", "ws://exa mple.com", "//example.com", "javascript:alert(1)"})
    void rejects(String written) {
        assertThrows(IllegalArgumentException.class, () -> UpstreamUrl.parse(written));
    }
}
