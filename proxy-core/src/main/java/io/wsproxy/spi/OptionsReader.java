package io.wsproxy.spi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a rule's plugin options with defaults, and rejects what it did not read: a misspelt option is an error
 * at load, never a silently ignored setting.
 */
public final class OptionsReader {
    private final Map<String, Object> options;
    private final Set<String> read = new HashSet<>();

    public OptionsReader(Map<String, Object> options) {
        this.options = options == null ? Map.of() : options;
    }

    public Duration duration(String key, Duration defaultValue) throws InvalidOptionsException {
        Object v = take(key);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Durations.parse(v);
        } catch (IllegalArgumentException e) {
            throw new InvalidOptionsException(key, key + ": " + e.getMessage());
        }
    }

    /** A size in bytes, at least {@code min}. */
    public long bytes(String key, long defaultValue, long min) throws InvalidOptionsException {
        Object v = take(key);
        if (v == null) {
            return defaultValue;
        }
        long n;
        try {
            n = ByteSizes.parse(v);
        } catch (IllegalArgumentException e) {
            throw new InvalidOptionsException(key, key + ": " + e.getMessage());
        }
        if (n < min) {
            throw new InvalidOptionsException(key, key + ": must be at least " + min + " bytes, got " + n);
        }
        return n;
    }

    public int integer(String key, int defaultValue, int min, int max) throws InvalidOptionsException {
        Object v = take(key);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof Integer n) || n < min || n > max) {
            throw new InvalidOptionsException(key, key + ": expected a whole number from " + min + " to " + max
                    + ", got '" + v + "'");
        }
        return n;
    }

    public String string(String key, String defaultValue) throws InvalidOptionsException {
        Object v = take(key);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof String s)) {
            throw new InvalidOptionsException(key, key + ": expected a string, got '" + v + "'");
        }
        return s;
    }

    /** One of {@code allowed}. */
    public String choice(String key, String defaultValue, Set<String> allowed) throws InvalidOptionsException {
        String v = string(key, defaultValue);
        if (!allowed.contains(v)) {
            throw new InvalidOptionsException(key, key + ": expected one of " + allowed + ", got '" + v + "'");
        }
        return v;
    }

    /** A list of strings; a single string counts as a list of one. */
    public List<String> strings(String key, List<String> defaultValue) throws InvalidOptionsException {
        Object v = take(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof String s) {
            return List.of(s);
        }
        if (v instanceof List<?> list) {
            List<String> out = new ArrayList<>(list.size());
            for (Object item : list) {
                if (!(item instanceof String s)) {
                    throw new InvalidOptionsException(key, key + ": expected a list of strings, got item '" + item + "'");
                }
                out.add(s);
            }
            return List.copyOf(out);
        }
        throw new InvalidOptionsException(key, key + ": expected a list of strings, got '" + v + "'");
    }

    /** Call last: fails on any option no getter asked for. */
    public void rejectUnknown(String pluginName) throws InvalidOptionsException {
        for (String key : options.keySet()) {
            if (!read.contains(key)) {
                throw new InvalidOptionsException(key, "unknown option '" + key + "' for plugin " + pluginName);
            }
        }
    }

    private Object take(String key) {
        read.add(key);
        return options.get(key);
    }
}
