package io.wsproxy.config;

import java.math.BigInteger;

/**
 * Reads YAML 1.1 numbers and booleans as SnakeYAML's resolver tagged them ({@code 0x1F}, {@code 1_000},
 * {@code 1:30}, {@code .inf}, {@code yes}), without SnakeYAML's object construction.
 */
final class YamlScalars {
    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private YamlScalars() {
    }

    /**
     * A number YAML 1.1 reads other than a reader would: {@code 1:30} is 90 (base 60), {@code 010} is 8 (octal). A
     * duration of 1:30 would be 90 ms and a port 010 port 8; such a file is refused with this message instead.
     */
    static final class AmbiguousNumber extends NumberFormatException {
        AmbiguousNumber(String message) {
            super(message);
        }
    }

    /**
     * @return an Integer when it fits, else a Long; throws NumberFormatException beyond a long, and
     *         {@link AmbiguousNumber} for YAML 1.1's base-60 and leading-zero octal forms
     */
    static Number integer(String text) {
        String s = text.replace("_", "");
        boolean negative = s.startsWith("-");
        if (s.startsWith("-") || s.startsWith("+")) {
            s = s.substring(1);
        }
        BigInteger n;
        if (s.contains(":")) {
            throw new AmbiguousNumber("'" + text + "' is a base-60 number in YAML 1.1 (1:30 is 90): write the number "
                    + "or duration you mean (90, 90s), or quote it");
        } else if (s.startsWith("0b")) {
            n = new BigInteger(s.substring(2), 2);
        } else if (s.startsWith("0x")) {
            n = new BigInteger(s.substring(2), 16);
        } else if (s.length() > 1 && s.startsWith("0")) {
            throw new AmbiguousNumber("'" + text + "' is an octal number in YAML 1.1 (010 is 8): write it without "
                    + "the leading zero, or quote it");
        } else {
            n = new BigInteger(s);
        }
        if (negative) {
            n = n.negate();
        }
        if (n.compareTo(LONG_MIN) < 0 || n.compareTo(LONG_MAX) > 0) {
            throw new NumberFormatException("integer out of range: " + text);
        }
        long value = n.longValue();
        return value == (int) value ? (Number) (int) value : (Number) value;
    }

    static double decimal(String text) {
        String s = text.replace("_", "");
        String lower = s.toLowerCase();
        if (lower.equals(".nan")) {
            return Double.NaN;
        }
        if (lower.endsWith(".inf")) {
            return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (s.contains(":")) {
            boolean negative = s.startsWith("-");
            double value = 0;
            for (String part : s.replaceFirst("^[-+]", "").split(":")) {
                value = value * 60 + Double.parseDouble(part);
            }
            return negative ? -value : value;
        }
        return Double.parseDouble(s);
    }

    /**
     * YAML 1.1's booleans; anything else (which only an explicit {@code !!bool} tag can bring here) is refused
     * rather than read as false.
     */
    static boolean bool(String text) {
        return switch (text.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("expected true or false, got '" + text + "'");
        };
    }
}
