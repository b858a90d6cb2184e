package io.wsproxy.forward;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;

/** The texts the proxy itself sends the client. Built by concatenation: no tree, no reflection. */
public final class Envelopes {
    private Envelopes() {
    }

    /** What comes before a server's message in {@code {"type":"forward","url":U,"forward":M}}; built once per upstream. */
    public static String wrapPrefix(String url) {
        return "{\"type\":\"forward\",\"url\":" + quote(url) + ",\"forward\":";
    }

    /** Embeds a message that is not JSON as a JSON string (a JSON one goes in whole: {@code prefix}, it, a brace). */
    public static String wrapAsString(String prefix, String message) {
        return prefix + quote(message) + '}';
    }

    public static String error(String url, int status, String message) {
        return "{\"type\":\"forward\",\"url\":" + (url == null ? "null" : quote(url))
                + ",\"error\":{\"status\":" + status + ",\"message\":" + quote(message) + "}}";
    }

    public static String connectResponse(boolean status) {
        return "{\"type\":\"response\",\"response\":{\"status\":" + status + "}}";
    }

    public static String disconnected(String url) {
        return "{\"type\":\"event\",\"event\":{\"type\":\"disconnected\",\"url\":" + quote(url) + "}}";
    }

    /**
     * Strict: the first {@code length} bytes of {@code text}, read as UTF-8, are exactly one JSON value, nothing
     * after it (and nested no deeper than {@link JsonTexts#MAX_NESTING}).
     */
    public static boolean isJson(byte[] text, int length) {
        if (!JsonTexts.couldBeUtf8Json(text, length)) {
            return false;
        }
        try (JsonParser parser = JsonTexts.parser(text, length)) {
            if (parser.nextToken() == null) {
                return false;
            }
            parser.skipChildren();
            return parser.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
    }

    static String quote(String text) {
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(text)) + '"';
    }
}
