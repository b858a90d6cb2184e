package io.wsproxy.config;

/** What HTTP allows in a header a rule sets: a token for the name (RFC 9110), no line breaks in either part. */
final class HeaderChecks {
    private static final String TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";

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
        return null;
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
