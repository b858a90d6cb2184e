package io.wsproxy.spi;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as rules.yaml writes them: {@code 10s}, {@code 500ms}, {@code 2m}, {@code 1h} or bare milliseconds, at
 * most {@link #MAX} (about 24 days), so every one fits the millisecond timers of XNIO and Undertow.
 */
public final class Durations {
    public static final Duration MAX = Duration.ofMillis(Integer.MAX_VALUE);
    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

    private Durations() {
    }

    /** @throws IllegalArgumentException saying what forms are accepted, or that the duration is too long */
    public static Duration parse(Object value) {
        if (value instanceof Integer || value instanceof Long) {
            long ms = ((Number) value).longValue();
            if (ms < 0) {
                throw new IllegalArgumentException("a duration cannot be negative: " + value);
            }
            return atMostMax(ms, "ms", value);
        }
        if (value instanceof String text) {
            Matcher m = FORM.matcher(text.trim());
            if (m.matches()) {
                long n;
                try {
                    n = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    throw tooLong(value);
                }
                return atMostMax(n, m.group(2) == null ? "ms" : m.group(2), value);
            }
        }
        throw new IllegalArgumentException(
                "expected a duration such as 10s, 500ms, 2m or a number of milliseconds, got '" + value + "'");
    }

    private static Duration atMostMax(long n, String unit, Object value) {
        long msPerUnit = switch (unit) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            default -> 3_600_000;
        };
        if (n > MAX.toMillis() / msPerUnit) {
            throw tooLong(value);
        }
        return Duration.ofMillis(n * msPerUnit);
    }

    private static IllegalArgumentException tooLong(Object value) {
        return new IllegalArgumentException("duration too long: '" + value + "' (at most " + MAX.toMillis()
                + " ms, about 24 days)");
    }
}
