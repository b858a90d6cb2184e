package io.wsproxy.config;

import java.util.Locale;
import java.util.Set;

/**
 * What HTTP allows in a header a rule sets: a token for the name (RFC 9110), no line breaks in either part, ASCII in
 * the value, and none of the headers the proxy sets itself for each message and connection.
 */
final class HeaderChecks {
    private static final String TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";
    /**
     * The framing of the message and of the connection, and a WebSocket handshake's mechanics: set by the proxy for
     * each hop. A rule's Content-Length would misframe every request, its Connection or Upgrade every handshake.
     */
    private static final Set<String> SET_BY_THE_PROXY = Set.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "sec-websocket-key",
            "sec-websocket-version", "sec-websocket-accept", "sec-websocket-extensions");

    private HeaderChecks() {
    }

    /** @return what is wrong with the name, or null when it is a valid token */
    static String nameProblem(String name) {
        if (name.isEmpty()) {
            return "header name is empty";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || TOKEN_SYMBOLS.indexOf(c) >= 0;
            if (!token) {
                return "header name '" + printable(name) + "' is not an HTTP token (bad character "
                        + printable(String.valueOf(c)) + " at " + i + ")";
            }
        }
        if (SET_BY_THE_PROXY.contains(name.toLowerCase(Locale.ROOT))) {
            return "header '" + name + "' frames the message or its connection, which the proxy sets itself for "
                    + "each hop";
        }
        return null;
    }

    /** @return what is wrong with the value, or null when it has no control character but a tab (RFC 9110 5.5) */
    static String valueProblem(String value) {
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
            return "header value must not contain CR or LF: '" + printable(value) + "'";
        }
        int control = firstControl(value, true);
        if (control >= 0) {
            return "header value must not contain control characters (U+" + String.format("%04X", (int) value.charAt(control))
                    + " at " + control + ")";
        }
        int beyond = firstBeyondAscii(value);
        if (beyond >= 0) {
            // HTTP gives such bytes no charset, and the plain and the WebSocket paths would write them differently
            return "header value must be ASCII (U+" + String.format("%04X", (int) value.charAt(beyond)) + " at "
                    + beyond + "); percent-encode it, or use RFC 8187's encoding where the header allows it";
        }
        return null;
    }

    /** Where the first character beyond ASCII is in {@code text}, or -1. */
    static int firstBeyondAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0x7e) {
                return i;
            }
        }
        return -1;
    }

    /** Where the first control character (a tab too, unless {@code tabAllowed}) is in {@code text}, or -1. */
    static int firstControl(String text, boolean tabAllowed) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < ' ' && !(tabAllowed && c == '\t')) || c == 0x7f) {
                return i;
            }
        }
        return -1;
    }

    private static String printable(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t");
    }
}
