package io.wsproxy.spi;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as rules.yaml writes them: a bare number of bytes, or {@code 64KiB}, {@code 16MiB}, {@code 1GiB}. */
public final class ByteSizes {
    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB)?");

    private ByteSizes() {
    }

    /** @throws IllegalArgumentException saying what forms are accepted */
    public static long parse(Object value) {
        if (value instanceof Integer || value instanceof Long) {
            long n = ((Number) value).longValue();
            if (n < 0) {
                throw new IllegalArgumentException("a size cannot be negative: " + value);
            }
            return n;
        }
        if (value instanceof String text) {
            Matcher m = FORM.matcher(text.trim());
            if (m.matches()) {
                try {
                    long n = Long.parseLong(m.group(1));
                    String unit = m.group(2) == null ? "B" : m.group(2);
                    int shift = switch (unit) {
                        case "KiB" -> 10;
                        case "MiB" -> 20;
                        case "GiB" -> 30;
                        default -> 0;
                    };
                    if (n > (Long.MAX_VALUE >> shift)) {
                        throw new NumberFormatException();
                    }
                    return n << shift;
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("size out of range: '" + text + "'");
                }
            }
        }
        throw new IllegalArgumentException(
                "expected a size such as 65536, 64KiB or 16MiB, got '" + value + "'");
    }
}
