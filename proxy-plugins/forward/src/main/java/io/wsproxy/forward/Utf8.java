package io.wsproxy.forward;

/** UTF-8 sizes without encoding: queues are bounded in bytes, as the options say. */
final class Utf8 {
    private Utf8() {
    }

    static long length(String text) {
        long bytes = 0;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** Cuts {@code text} to at most {@code max} UTF-8 bytes without splitting a character. */
    static String truncate(String text, int max) {
        if (length(text) <= max) {
            return text;
        }
        StringBuilder out = new StringBuilder();
        long used = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (used + size > max) {
                break;
            }
            out.appendCodePoint(cp);
            used += size;
            i += Character.charCount(cp);
        }
        return out.toString();
    }
}
