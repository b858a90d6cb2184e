package io.wsproxy.logging;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets a warning through at most once per interval, whichever thread asks: for warnings that a flood of hostile
 * requests or a dead target could otherwise repeat thousands of times a second.
 */
public final class WarningThrottle {
    private final long intervalNanos;
    private final AtomicLong last;

    public WarningThrottle(Duration interval) {
        this.intervalNanos = interval.toNanos();
        this.last = new AtomicLong(System.nanoTime() - intervalNanos);
    }

    /** True when the last warning let through is at least the interval ago (and this one now is). */
    public boolean allow() {
        long previous = last.get();
        long now = System.nanoTime();
        return now - previous >= intervalNanos && last.compareAndSet(previous, now);
    }
}
