package io.wsproxy.spi;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as rules.yaml writes them: {@code 10s}, {@code 500ms}, {@code 2m}, {@code 1h} or bare milliseconds. */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

    private Durations() {
    }

    /** @throws IllegalArgumentException saying what forms are accepted */
    public static Duration parse(Object value) {
        if (value instanceof Integer || value instanceof Long) {
            long ms = ((Number) value).longValue();
            if (ms < 0) {
                throw new IllegalArgumentException("a duration cannot be negative: " + value);
            }
            return Duration.ofMillis(ms);
        }
        if (value instanceof String text) {
            Matcher m = FORM.matcher(text.trim());
            if (m.matches()) {
                long n;
                try {
                    n = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("duration out of range: '" + text + "'");
                }
                String unit = m.group(2) == null ? "ms" : m.group(2);
                return switch (unit) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                };
            }
        }
        throw new IllegalArgumentException(
                "expected a duration such as 10s, 500ms, 2m or a number of milliseconds, got '" + value + "'");
    }
}
