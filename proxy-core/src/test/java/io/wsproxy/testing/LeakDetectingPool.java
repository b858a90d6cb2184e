package io.wsproxy.testing;

import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.DefaultByteBufferPool;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A buffer pool that remembers who took each buffer and not yet gave it back, and the most ever out at once, so
 * a test can fail on a leaked buffer or on a proxy that buffers more than its bound (like Undertow's
 * DebuggingSlicePool).
 */
public final class LeakDetectingPool implements ByteBufferPool {
    private final ByteBufferPool delegate;
    private final Map<PooledByteBuffer, Throwable> outstanding = new ConcurrentHashMap<>();
    private int maxOutstanding;
    private volatile int refuseAbove = Integer.MAX_VALUE;

    public LeakDetectingPool(int bufferSize) {
        this.delegate = new DefaultByteBufferPool(true, bufferSize, -1, 0);
    }

    /** Like direct memory used up: {@link #allocate()} throws as the JDK does once this many buffers are out. */
    public void refuseAbove(int outstandingBuffers) {
        this.refuseAbove = outstandingBuffers;
    }

    @Override
    public PooledByteBuffer allocate() {
        if (outstanding.size() >= refuseAbove) {
            throw new OutOfMemoryError("Cannot reserve " + getBufferSize() + " bytes of direct buffer memory (test)");
        }
        PooledByteBuffer real = delegate.allocate();
        Tracked tracked = new Tracked(real);
        outstanding.put(tracked, new Throwable("buffer allocated here"));
        synchronized (this) {
            maxOutstanding = Math.max(maxOutstanding, outstanding.size());
        }
        return tracked;
    }

    @Override
    public ByteBufferPool getArrayBackedPool() {
        return delegate.getArrayBackedPool();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public int getBufferSize() {
        return delegate.getBufferSize();
    }

    @Override
    public boolean isDirect() {
        return delegate.isDirect();
    }

    public int outstanding() {
        return outstanding.size();
    }

    public synchronized int maxOutstanding() {
        return maxOutstanding;
    }

    public synchronized void resetMax() {
        maxOutstanding = outstanding.size();
    }

    /** Waits for every buffer to come back; fails with where the first leaked one was taken. */
    public void assertNoLeaks(Duration within) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        synchronized (this) {
            while (!outstanding.isEmpty() && System.nanoTime() < end) {
                TimeUnit.NANOSECONDS.timedWait(this, Math.max(1, end - System.nanoTime()));
            }
        }
        if (!outstanding.isEmpty()) {
            AssertionError error = new AssertionError(outstanding.size() + " pooled buffers were never freed");
            error.initCause(outstanding.values().iterator().next());
            throw error;
        }
    }

    private synchronized void released(Tracked buffer) {
        outstanding.remove(buffer);
        notifyAll();
    }

    private final class Tracked implements PooledByteBuffer {
        private final PooledByteBuffer real;
        private boolean open = true;

        Tracked(PooledByteBuffer real) {
            this.real = real;
        }

        @Override
        public ByteBuffer getBuffer() {
            return real.getBuffer();
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                real.close();
                released(this);
            }
        }

        @Override
        public boolean isOpen() {
            return open;
        }
    }
}
