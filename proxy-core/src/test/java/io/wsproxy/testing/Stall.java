package io.wsproxy.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/** Backpressure seen from the sender: a count of bytes sent that stops growing. */
public final class Stall {
    private static final Object WATCH = new Object();

    private Stall() {
    }

    /**
     * Waits until {@code sent} stops growing and returns where it stopped; fails when it never does within 30 s
     * (the sender was never held back).
     */
    public static long await(LongSupplier sent) throws InterruptedException {
        long last = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            long now = sent.getAsLong();
            if (now == last && now > 0) {
                return now;
            }
            last = now;
            synchronized (WATCH) {
                WATCH.wait(300); // not a sleep on an event: there is no event for "nothing happened"
            }
        }
        throw new AssertionError("the sender never stalled: backpressure did not reach it");
    }
}
