package io.wsproxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class EnvelopesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void wrapsJsonWholeAndKeepsTheUrlAsWritten() throws Exception {
        String prefix = Envelopes.wrapPrefix("HTTPS://Meetacy.app/seed-kt/");
        String wrapped = Envelopes.wrap(prefix, "{\"type\":\"response\",\"response\":{\"id\":1}}");
        assertEquals("{\"type\":\"forward\",\"url\":\"HTTPS://Meetacy.app/seed-kt/\",\"forward\":"
                + "{\"type\":\"response\",\"response\":{\"id\":1}}}", wrapped);
        JSON.readTree(wrapped);
    }

    @Test
    void wrapsNonJsonAsAString() throws Exception {
        String wrapped = Envelopes.wrap(Envelopes.wrapPrefix("ws://a"), "hello \"world\"\n} {");
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
        assertTrue(Envelopes.isJson(" {\"a\":[1]} "));
        assertTrue(Envelopes.isJson("\"s\""));
        assertFalse(Envelopes.isJson(""));
        assertFalse(Envelopes.isJson("{} x"));
        assertFalse(Envelopes.isJson("{\"a\":1"));
    }
}
