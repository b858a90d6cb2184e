package io.wsproxy.upstream;

/**
 * What makes a line of a response head one a proxy passes on, checked strictly (RFC 9112): a status line
 * {@code HTTP/1.x DDD reason}, header lines whose name is a token right before its colon (a space there is a
 * smuggling vector), no folded lines (RFC 9112 5.2 lets a proxy refuse them with a 502) and no control characters
 * but tabs. Lines come without their CRLF or LF. The problems are phrased for a 502's message.
 */
public final class HeadLines {
    private HeadLines() {
    }

    /** Why {@code line} is no status line, or null. */
    public static String statusLineProblem(String line) {
        boolean fits = line.startsWith("HTTP/1.") && line.length() >= 12 && isDigit(line.charAt(7))
                && line.charAt(8) == ' ' && line.charAt(9) != '0' && isDigit(line.charAt(9))
                && isDigit(line.charAt(10)) && isDigit(line.charAt(11))
                && (line.length() == 12 || line.charAt(12) == ' ') && !hasControl(line, 12);
        return fits ? null : "malformed status line \"" + printable(line) + "\"";
    }

    /** The status of a line {@link #statusLineProblem} passed. */
    public static int status(String statusLine) {
        return Integer.parseInt(statusLine, 9, 12, 10);
    }

    /** Why {@code line} is no header line, or null. */
    public static String headerLineProblem(String line) {
        if (!line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
            return "folded header line \"" + printable(line) + "\"";
        }
        int colon = line.indexOf(':');
        if (colon <= 0 || !isToken(line, colon) || hasControl(line, colon + 1)) {
            return "malformed header line \"" + printable(line) + "\"";
        }
        return null;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** A field name is a token: no spaces, no controls, no separators. */
    private static boolean isToken(String line, int end) {
        for (int i = 0; i < end; i++) {
            char c = line.charAt(i);
            if (c <= ' ' || c >= 0x7f || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }

    /** A control character other than a tab (a bare CR, a NUL) from {@code from} on. */
    private static boolean hasControl(String line, int from) {
        for (int i = from; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < ' ' && c != '\t' || c == 0x7f) {
                return true;
            }
        }
        return false;
    }

    private static String printable(String line) {
        String cut = line.length() > 80 ? line.substring(0, 80) + "..." : line;
        StringBuilder out = new StringBuilder(cut.length());
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            out.append(c < ' ' || c >= 0x7f ? '?' : c);
        }
        return out.toString();
    }
}
