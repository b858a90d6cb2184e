package io.wsproxy.server;

import java.util.concurrent.TimeUnit;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;

/**
 * Notices when the bodies of one plain HTTP exchange stop moving: while at least one {@link BodyTransfer} is under
 * way, {@code timeout} without a byte read or written by any of them calls {@code onStall} once. Waiting for the
 * response's head is not its business (that is {@code responseTimeout}). One timer per exchange, re-armed from
 * the last progress when it fires rather than at every byte, and used on the exchange's I/O thread only.
 */
final class BodyTimer {
    private final XnioIoThread thread;
    private final long timeoutNanos;
    private final Runnable onStall;
    private final Runnable check = this::check;
    private int running;
    private long lastProgress;
    private XnioExecutor.Key key;
    private boolean stopped;

    BodyTimer(XnioIoThread thread, long timeoutNanos, Runnable onStall) {
        this.thread = thread;
        this.timeoutNanos = timeoutNanos;
        this.onStall = onStall;
    }

    /** A transfer starts: the clock starts from now. */
    void begin() {
        running++;
        progress();
        if (key == null && !stopped) {
            schedule(timeoutNanos);
        }
    }

    void progress() {
        lastProgress = System.nanoTime();
    }

    /** A transfer has ended; with none left the timer lapses at its next check. */
    void end() {
        running--;
    }

    void stop() {
        stopped = true;
        if (key != null) {
            key.remove();
            key = null;
        }
    }

    private void check() {
        key = null;
        if (stopped || running == 0) {
            return;
        }
        long idle = System.nanoTime() - lastProgress;
        if (idle >= timeoutNanos) {
            stopped = true;
            onStall.run();
        } else {
            schedule(timeoutNanos - idle);
        }
    }

    private void schedule(long nanos) {
        key = thread.executeAfter(check, Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos + 999_999)),
                TimeUnit.MILLISECONDS);
    }
}
