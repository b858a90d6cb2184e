package io.wsproxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @ParameterizedTest
    @ValueSource(strings = {"ws://h/public/../admin", "ws://h/public/%2e%2E/admin", "ws://h/public/.%2e/admin",
            "ws://h/public/..;x/admin", "ws://h/public/./admin", "ws://h/public/..", "ws://h/public/..%2fadmin",
            "ws://h/public/..%5Cadmin", "ws://h/public%2F..%2Fadmin"})
    void rejectsPathsThatResolveElsewhereThanTheyRead(String written) {
        // allow ["ws://h/public/.*"] would admit each, and a server would serve /admin
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> UpstreamUrl.parse(written));
        assertTrue(refused.getMessage().startsWith("url path must not carry"), refused.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws://h/a..b/", "ws://h/.well-known/x", "ws://h/x?next=../admin", "ws://h/.../x"})
    void keepsDotsThatAreNoSegmentOfTheirOwn(String written) {
        assertEquals(URI.create(written), UpstreamUrl.parse(written).dialUri());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ws://h:0/", "ws://h:65536/", "ws://10.0.0.1:99999/x"})
    void rejectsPortsOutOfRange(String written) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> UpstreamUrl.parse(written));
        assertTrue(refused.getMessage().startsWith("url port out of range"), refused.getMessage());
    }

    @Test
    void saysWhyAHostNameIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> UpstreamUrl.parse("ws://my_service:8080/"));
        assertEquals("url has no valid host name (letters, digits, '-' and '.')", refused.getMessage());
        assertEquals("url has no host", assertThrows(IllegalArgumentException.class,
                () -> UpstreamUrl.parse("ws:///x")).getMessage());
    }

    @Test
    void rejectsALoneSurrogate() {
        // a JSON string may hold one ("\ud800"); it has no UTF-8 form to escape into the request line
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> UpstreamUrl.parse("ws://h/\ud800"));
        assertEquals("url is not valid Unicode", refused.getMessage());
    }
}
