package io.wsproxy.forward;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.IOException;

/**
 * Classifies client texts (their UTF-8 bytes, as they arrived) in one streaming pass, strictly: an empty text or
 * characters after the value make a text "not JSON". Nothing is built in memory; the request is located in the
 * text as the client wrote it, so it reaches the server byte for byte.
 */
public final class ClientMessageParser {
    private static final ClientMessage TOO_DEEP = new ClientMessage.Malformed(null,
            "message nests deeper than " + JsonTexts.MAX_NESTING + " levels");

    /** Parses the first {@code length} bytes of {@code text}. */
    public ClientMessage parse(byte[] text, int length) {
        if (!JsonTexts.couldBeUtf8Json(text, length)) {
            return ClientMessage.NOT_JSON;
        }
        try (JsonParser parser = JsonTexts.parser(text, length)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return ClientMessage.NOT_JSON;
            }
            ClientMessage message = first == JsonToken.START_OBJECT
                    ? readObject(parser, text)
                    : skipValue(parser);
            // strict: FAIL_ON_TRAILING_TOKENS in streaming form
            return parser.nextToken() == null ? message : ClientMessage.NOT_JSON;
        } catch (StreamConstraintsException e) {
            return TOO_DEEP; // the one limit left (JsonTexts)
        } catch (IOException e) {
            return ClientMessage.NOT_JSON;
        }
    }

    private static ClientMessage skipValue(JsonParser parser) throws IOException {
        parser.skipChildren();
        return ClientMessage.OTHER;
    }

    private static ClientMessage readObject(JsonParser parser, byte[] text) throws IOException {
        String type = null;
        String url = null;
        boolean urlSeen = false;
        boolean typeSeen = false;
        int requestStart = -1;
        int requestEnd = -1;
        boolean nested = false;
        boolean duplicate = false;
        JsonToken token = parser.nextToken();
        while (token == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (name) {
                case "type" -> {
                    duplicate |= typeSeen;
                    typeSeen = true;
                    type = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    parser.skipChildren();
                }
                case "url" -> {
                    duplicate |= urlSeen;
                    urlSeen = true;
                    url = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    parser.skipChildren();
                }
                case "request" -> {
                    duplicate |= requestStart >= 0;
                    requestStart = offset(parser.currentTokenLocation().getByteOffset());
                    nested = value == JsonToken.START_OBJECT ? skipObjectSeeingForward(parser) : skip(parser);
                }
                default -> parser.skipChildren();
            }
            token = parser.nextToken();
            if (requestStart >= 0 && requestEnd < 0) {
                // the next token (a field name or the closing brace) bounds the request's text
                requestEnd = offset(parser.currentTokenLocation().getByteOffset());
            }
        }
        if (token != JsonToken.END_OBJECT) {
            throw new IOException("unterminated object");
        }
        int requestLength = requestStart < 0 ? -1 : trimmedLength(text, requestStart, requestEnd);
        return classify(type, url, urlSeen, duplicate, nested, requestStart, requestLength);
    }

    /** @param requestLength -1 when there is no request */
    private static ClientMessage classify(String type, String url, boolean urlSeen, boolean duplicate,
                                          boolean nested, int requestOffset, int requestLength) {
        if (type == null) {
            return ClientMessage.OTHER;
        }
        switch (type) {
            case "forward" -> {
                String problem = duplicate ? "duplicate field in envelope"
                        : !urlSeen ? "missing url"
                        : url == null ? "url must be a string"
                        : requestLength < 0 ? "missing request"
                        : nested ? "nested forward: a forward request cannot carry another forward"
                        : null;
                return problem == null
                        ? new ClientMessage.Forward(url, requestOffset, requestLength)
                        : new ClientMessage.Malformed(url, problem);
            }
            case "connect" -> {
                String problem = duplicate ? "duplicate field in envelope"
                        : !urlSeen ? "missing url"
                        : url == null ? "url must be a string"
                        : null;
                return problem == null ? new ClientMessage.Connect(url) : new ClientMessage.Malformed(url, problem);
            }
            case "ping" -> {
                return ClientMessage.PING;
            }
            default -> {
                return ClientMessage.OTHER;
            }
        }
    }

    /** Skips an object, telling whether its own {@code type} is {@code "forward"}. */
    private static boolean skipObjectSeeingForward(JsonParser parser) throws IOException {
        boolean forward = false;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if ("type".equals(name) && value == JsonToken.VALUE_STRING && "forward".equals(parser.getText())) {
                forward = true;
            }
            parser.skipChildren();
        }
        return forward;
    }

    private static boolean skip(JsonParser parser) throws IOException {
        parser.skipChildren();
        return false;
    }

    /** Between a value's start and the next token there may be white space and one comma: not part of the value. */
    private static int trimmedLength(byte[] text, int start, int end) {
        int e = end;
        while (e > start && isSpaceOrComma(text[e - 1])) {
            e--;
        }
        return e - start;
    }

    private static boolean isSpaceOrComma(byte c) {
        return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    private static int offset(long byteOffset) throws IOException {
        if (byteOffset < 0 || byteOffset > Integer.MAX_VALUE) {
            throw new IOException("no byte offset");
        }
        return (int) byteOffset;
    }
}
