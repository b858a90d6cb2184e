package io.wsproxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EnvelopesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void thePrefixKeepsTheUrlAsWrittenAndAJsonMessageAndABraceCloseIt() throws Exception {
        String prefix = Envelopes.wrapPrefix("HTTPS://Meetacy.app/seed-kt/\"");
        String wrapped = prefix + "{\"type\":\"response\",\"response\":{\"id\":1}}" + "}";
        JsonNode tree = JSON.readTree(wrapped);
        assertEquals("HTTPS://Meetacy.app/seed-kt/\"", tree.get("url").asText());
        assertEquals(1, tree.get("forward").get("response").get("id").asInt());
    }

    @Test
    void wrapsNonJsonAsAString() throws Exception {
        String wrapped = Envelopes.wrapAsString(Envelopes.wrapPrefix("ws://a"), "hello \"world\"\n} {");
        JsonNode tree = JSON.readTree(wrapped);
        assertEquals("hello \"world\"\n} {", tree.get("forward").asText());
    }

    @Test
    void errorCarriesStatusMessageAndUrlOrNull() throws Exception {
        JsonNode e = JSON.readTree(Envelopes.error("ws://a\"b", 503, "queue \"full\""));
        assertEquals("forward", e.get("type").asText());
        assertEquals("ws://a\"b", e.get("url").asText());
        assertEquals(503, e.get("error").get("status").asInt());
        assertEquals("queue \"full\"", e.get("error").get("message").asText());
        assertTrue(JSON.readTree(Envelopes.error(null, 400, "x")).get("url").isNull());
    }

    @Test
    void connectResponseAndDisconnectedEvent() {
        assertEquals("{\"type\":\"response\",\"response\":{\"status\":true}}", Envelopes.connectResponse(true));
        assertEquals("{\"type\":\"event\",\"event\":{\"type\":\"disconnected\",\"url\":\"ws://a\"}}",
                Envelopes.disconnected("ws://a"));
    }

    @Test
    void isJsonIsStrict() {
        assertTrue(isJson(" {\"a\":[1]} "));
        assertTrue(isJson("\"s\""));
        assertFalse(isJson(""));
        assertFalse(isJson("{} x"));
        assertFalse(isJson("{\"a\":1"));
        // a parser left to guess the encoding from the first bytes reads these as JSON: UTF-16LE "{}", and a BOM
        assertFalse(isJson("{\u0000}\u0000"));
        assertFalse(isJson("\uFEFF{}"));
        // only the given length counts: what follows in the array is not read
        assertTrue(Envelopes.isJson("{}} x".getBytes(StandardCharsets.UTF_8), 2));
        assertFalse(Envelopes.isJson("{\"a\":1}".getBytes(StandardCharsets.UTF_8), 6));
    }

    private static boolean isJson(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return Envelopes.isJson(bytes, bytes.length);
    }
}
