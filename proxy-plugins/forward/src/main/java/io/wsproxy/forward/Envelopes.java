package io.wsproxy.forward;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;

/** The texts the proxy itself sends the client. Built by concatenation: no tree, no reflection. */
public final class Envelopes {
    private static final JsonFactory JSON = new JsonFactory();

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
     * after it. The parser guesses the encoding from the first bytes: a byte order mark, or a NUL among the first
     * four bytes, would have it read UTF-16 or UTF-32, or skip the mark, and pass bytes that are not JSON as UTF-8.
     * JSON in UTF-8 has neither, so such a text is not JSON.
     */
    public static boolean isJson(byte[] text, int length) {
        if (startsWithByteOrderMark(text, length) || hasNulInFirstFour(text, length)) {
            return false;
        }
        try (JsonParser parser = JSON.createParser(text, 0, length)) {
            if (parser.nextToken() == null) {
                return false;
            }
            parser.skipChildren();
            return parser.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean startsWithByteOrderMark(byte[] text, int length) {
        return length >= 3 && text[0] == (byte) 0xef && text[1] == (byte) 0xbb && text[2] == (byte) 0xbf;
    }

    private static boolean hasNulInFirstFour(byte[] text, int length) {
        for (int i = 0, end = Math.min(4, length); i < end; i++) {
            if (text[i] == 0) {
                return true;
            }
        }
        return false;
    }

    static String quote(String text) {
        return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(text)) + '"';
    }
}
