package io.wsproxy.routing;

import java.nio.charset.StandardCharsets;

/**
 * Makes a raw request path usable in a {@link java.net.URI}: a client may send characters a URI cannot hold
 * (a space, {@code |}, a lone {@code %}), and the server hands them on raw. Characters a URI allows, escapes
 * included, are kept exactly as sent.
 */
final class UriText {
    private static final String ALLOWED_SYMBOLS = "-._~!$&'()*+,;=:@/?";
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private UriText() {
    }

    static String escapeIllegal(String uri) {
        int schemeEnd = uri.indexOf("://") + 3;
        int pathStart = uri.indexOf('/', schemeEnd);
        if (pathStart < 0 || isClean(uri, pathStart)) {
            return uri;
        }
        StringBuilder out = new StringBuilder(uri.length() + 16).append(uri, 0, pathStart);
        for (int i = pathStart; i < uri.length(); i += Character.charCount(uri.codePointAt(i))) {
            int c = uri.codePointAt(i);
            if (allowed(c) || (c == '%' && isEscape(uri, i))) {
                out.append((char) c);
            } else if (c < 0x100) {
                // servers hand on raw bytes as ISO-8859-1 characters: one byte each
                escape(out, c);
            } else {
                for (byte b : Character.toString(c).getBytes(StandardCharsets.UTF_8)) {
                    escape(out, b & 0xFF);
                }
            }
        }
        return out.toString();
    }

    private static boolean isClean(String uri, int from) {
        for (int i = from; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (!allowed(c) && !(c == '%' && isEscape(uri, i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean allowed(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || ALLOWED_SYMBOLS.indexOf(c) >= 0;
    }

    private static boolean isEscape(String s, int i) {
        return i + 2 < s.length() && Character.digit(s.charAt(i + 1), 16) >= 0 && Character.digit(s.charAt(i + 2), 16) >= 0;
    }

    private static void escape(StringBuilder out, int b) {
        out.append('%').append(HEX[b >> 4]).append(HEX[b & 0xF]);
    }
}
