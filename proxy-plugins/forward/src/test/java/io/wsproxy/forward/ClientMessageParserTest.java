package io.wsproxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientMessageParserTest {
    private final ClientMessageParser parser = new ClientMessageParser();

    /** A forward as the test reads it: the request cut out of the message. */
    private record ForwardText(String url, String request) {
    }

    private static ForwardText forward(String url, String request) {
        return new ForwardText(url, request);
    }

    /** Parses {@code text}'s bytes from an array longer than the message, as the connection's buffer is. */
    private Object parse(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        byte[] buffer = Arrays.copyOf(bytes, bytes.length + 8);
        Arrays.fill(buffer, bytes.length, buffer.length, (byte) '}');
        ClientMessage message = parser.parse(buffer, bytes.length);
        return message instanceof ClientMessage.Forward f
                ? new ForwardText(f.url(), new String(buffer, f.requestOffset(), f.requestLength(), StandardCharsets.UTF_8))
                : message;
    }

    @Test
    void forwardKeepsTheRequestTextExactlyAsWritten() {
        String request = "{ \"type\" : \"request\", \"request\": {\"a\": [1, 2.50, \"x\\u0041\"]} }";
        Object m = parse("{\"type\":\"forward\",\"url\":\"wss://a.example/x\",\"request\":" + request + "}");
        assertEquals(forward("wss://a.example/x", request), m);
    }

    @Test
    void theRequestIsFoundByBytesBehindMultiByteCharacters() {
        String request = "{\"text\":\"grüße 😀\"}";
        Object m = parse("{\"note\":\"ünïcödé 😀\",\"type\":\"forward\",\"url\":\"ws://h/é\",\"request\":" + request + "}");
        assertEquals(forward("ws://h/é", request), m);
    }

    @Test
    void requestMayComeFirstAndBeFollowedByWhiteSpaceAndFields() {
        Object m = parse("{ \"request\" : [1, {\"b\":null}]  ,\n \"url\":\"ws://h\", \"type\":\"forward\" }");
        assertEquals(forward("ws://h", "[1, {\"b\":null}]"), m);
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"a, b\"", "12.5e3", "true", "null", "\"\"", "-0", "[]", "{}"})
    void anyJsonValueIsARequest(String request) {
        assertEquals(forward("ws://h", request),
                parse("{\"type\":\"forward\",\"url\":\"ws://h\",\"request\":" + request + "}"));
        assertEquals(forward("ws://h", request),
                parse("{\"type\":\"forward\",\"request\":" + request + " , \"url\":\"ws://h\"}"));
    }

    @Test
    void nestedForwardIsMalformedAndNamesTheOuterUrl() {
        Object m = parse("{\"type\":\"forward\",\"url\":\"ws://a\",\"request\":"
                + "{\"url\":\"ws://b\",\"type\":\"forward\",\"request\":{}}}");
        ClientMessage.Malformed malformed = assertInstanceOf(ClientMessage.Malformed.class, m);
        assertEquals("ws://a", malformed.url());
    }

    @Test
    void forwardDeeperInsideTheRequestIsNotNested() {
        String request = "{\"type\":\"request\",\"request\":{\"type\":\"forward\"}}";
        assertEquals(forward("ws://a", request),
                parse("{\"type\":\"forward\",\"url\":\"ws://a\",\"request\":" + request + "}"));
    }

    @Test
    void forwardWithoutUrlOrRequestIsMalformed() {
        assertEquals(new ClientMessage.Malformed(null, "missing url"),
                parse("{\"type\":\"forward\",\"request\":{}}"));
        assertEquals(new ClientMessage.Malformed("ws://a", "missing request"),
                parse("{\"type\":\"forward\",\"url\":\"ws://a\"}"));
        assertEquals(new ClientMessage.Malformed(null, "url must be a string"),
                parse("{\"type\":\"forward\",\"url\":5,\"request\":{}}"));
    }

    @Test
    void duplicateEnvelopeFieldsAreMalformed() {
        assertInstanceOf(ClientMessage.Malformed.class,
                parse("{\"type\":\"forward\",\"url\":\"ws://a\",\"url\":\"ws://b\",\"request\":{}}"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{", "{\"type\":\"forward\"", "nope", "{} {}", "{}x", "[1,]", "{'a':1}",
            "{\"a\":1,}", "\"unterminated", "{\"type\":\"forward\",\"url\":\"ws://a\",\"request\":{}} trailing"})
    void notJson(String text) {
        assertSame(ClientMessage.NOT_JSON, parse(text));
    }

    @Test
    void textsInAnotherEncodingThanUtf8AreNotJson() {
        byte[] utf16 = "{\"type\":\"other\"}".getBytes(StandardCharsets.UTF_16LE); // valid UTF-8 too, NULs and all
        assertSame(ClientMessage.NOT_JSON, parser.parse(utf16, utf16.length));
        byte[] utf32 = "{\"type\":\"ping\"}".getBytes(java.nio.charset.Charset.forName("UTF-32BE"));
        assertSame(ClientMessage.NOT_JSON, parser.parse(utf32, utf32.length));
        assertSame(ClientMessage.NOT_JSON, parse("\ufeff{\"type\":\"ping\"}"), "a byte order mark");
    }

    @Test
    void longNumbersNamesAndStringsAreJsonAsAnyOther() {
        // Jackson's defaults refuse numbers over 1,000 digits and names over 50,000 characters
        assertSame(ClientMessage.OTHER, parse("{\"n\":" + "9".repeat(5000) + "}"));
        assertSame(ClientMessage.OTHER, parse("{\"" + "k".repeat(60_000) + "\":1}"));
        assertEquals(forward("ws://a", "[" + "1".repeat(5000) + "]"),
                parse("{\"type\":\"forward\",\"url\":\"ws://a\",\"request\":[" + "1".repeat(5000) + "]}"));
    }

    @Test
    void nestingIsBoundedAndSaysSo() {
        int max = JsonTexts.MAX_NESTING;
        assertSame(ClientMessage.OTHER, parse("[".repeat(max) + "]".repeat(max)));
        assertEquals(new ClientMessage.Malformed(null, "message nests deeper than " + max + " levels"),
                parse("[".repeat(max + 1) + "]".repeat(max + 1)));
    }

    @Test
    void connectPingAndOthers() {
        assertEquals(new ClientMessage.Connect("ws://a"), parse("{\"type\":\"connect\",\"url\":\"ws://a\"}"));
        assertEquals(new ClientMessage.Malformed(null, "missing url"), parse("{\"type\":\"connect\"}"));
        assertSame(ClientMessage.PING, parse("{\"type\":\"ping\"}"));
        assertSame(ClientMessage.OTHER, parse("{\"type\":\"request\",\"request\":{\"type\":\"forward\"}}"));
        assertSame(ClientMessage.OTHER, parse("{\"type\":7}"));
        assertSame(ClientMessage.OTHER, parse("[1,2]"));
        assertSame(ClientMessage.OTHER, parse(" 42 "));
        assertSame(ClientMessage.OTHER, parse("{}"));
    }
}
