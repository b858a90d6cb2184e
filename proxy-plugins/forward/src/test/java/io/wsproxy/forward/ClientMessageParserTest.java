package io.wsproxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientMessageParserTest {
    private final ClientMessageParser parser = new ClientMessageParser();

    @Test
    void forwardKeepsTheRequestTextExactlyAsWritten() {
        String request = "{ \"type\" : \"request\", \"request\": {\"a\": [1, 2.50, \"x\\u0041\"]} }";
        ClientMessage m = parser.parse("{\"type\":\"forward\",\"url\":\"wss://a.example/x\",\"request\":" + request + "}");
        assertEquals(new ClientMessage.Forward("wss://a.example/x", request), m);
    }

    @Test
    void requestMayComeFirstAndBeFollowedByWhiteSpaceAndFields() {
        ClientMessage m = parser.parse("{ \"request\" : [1, {\"b\":null}]  ,\n \"url\":\"ws://h\", \"type\":\"forward\" }");
        assertEquals(new ClientMessage.Forward("ws://h", "[1, {\"b\":null}]"), m);
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"a, b\"", "12.5e3", "true", "null", "\"\"", "-0", "[]", "{}"})
    void anyJsonValueIsARequest(String request) {
        assertEquals(new ClientMessage.Forward("ws://h", request),
                parser.parse("{\"type\":\"forward\",\"url\":\"ws://h\",\"request\":" + request + "}"));
        assertEquals(new ClientMessage.Forward("ws://h", request),
                parser.parse("{\"type\":\"forward\",\"request\":" + request + " , \"url\":\"ws://h\"}"));
    }

    @Test
    void nestedForwardIsMalformedAndNamesTheOuterUrl() {
        ClientMessage m = parser.parse("{\"type\":\"forward\",\"url\":\"ws://a\",\"request\":"
                + "{\"url\":\"ws://b\",\"type\":\"forward\",\"request\":{}}}");
        ClientMessage.Malformed malformed = assertInstanceOf(ClientMessage.Malformed.class, m);
        assertEquals("ws://a", malformed.url());
    }

    @Test
    void forwardDeeperInsideTheRequestIsNotNested() {
        String request = "{\"type\":\"request\",\"request\":{\"type\":\"forward\"}}";
        assertEquals(new ClientMessage.Forward("ws://a", request),
                parser.parse("{\"type\":\"forward\",\"url\":\"ws://a\",\"request\":" + request + "}"));
    }

    @Test
    void forwardWithoutUrlOrRequestIsMalformed() {
        assertEquals(new ClientMessage.Malformed(null, "missing url"),
                parser.parse("{\"type\":\"forward\",\"request\":{}}"));
        assertEquals(new ClientMessage.Malformed("ws://a", "missing request"),
                parser.parse("{\"type\":\"forward\",\"url\":\"ws://a\"}"));
        assertEquals(new ClientMessage.Malformed(null, "url must be a string"),
                parser.parse("{\"type\":\"forward\",\"url\":5,\"request\":{}}"));
    }

    @Test
    void duplicateEnvelopeFieldsAreMalformed() {
        assertInstanceOf(ClientMessage.Malformed.class,
                parser.parse("{\"type\":\"forward\",\"url\":\"ws://a\",\"url\":\"ws://b\",\"request\":{}}"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{", "{\"type\":\"forward\"", "nope", "{} {}", "{}x", "[1,]", "{'a':1}",
            "{\"a\":1,}", "\"unterminated", "{\"type\":\"forward\",\"url\":\"ws://a\",\"request\":{}} trailing"})
    void notJson(String text) {
        assertSame(ClientMessage.NOT_JSON, parser.parse(text));
    }

    @Test
    void connectPingAndOthers() {
        assertEquals(new ClientMessage.Connect("ws://a"), parser.parse("{\"type\":\"connect\",\"url\":\"ws://a\"}"));
        assertEquals(new ClientMessage.Malformed(null, "missing url"), parser.parse("{\"type\":\"connect\"}"));
        assertSame(ClientMessage.PING, parser.parse("{\"type\":\"ping\"}"));
        assertSame(ClientMessage.OTHER, parser.parse("{\"type\":\"request\",\"request\":{\"type\":\"forward\"}}"));
        assertSame(ClientMessage.OTHER, parser.parse("{\"type\":7}"));
        assertSame(ClientMessage.OTHER, parser.parse("[1,2]"));
        assertSame(ClientMessage.OTHER, parser.parse(" 42 "));
        assertSame(ClientMessage.OTHER, parser.parse("{}"));
    }
}
