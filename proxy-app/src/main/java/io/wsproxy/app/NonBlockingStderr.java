package io.wsproxy.app;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The process's stderr, written by a thread of its own out of a fixed buffer, so that no thread that logs ever
 * waits for the reader of stderr. The proxy logs from its I/O threads (an access line per request and per
 * WebSocket); with stderr a pipe whose reader stalls (a log shipper, a terminal paused, a container runtime that
 * falls behind) the kernel's 64 KiB pipe buffer filled and every I/O thread blocked in its next log line: a few
 * hundred requests later the proxy answered nothing. Now a write that does not fit in the buffer is dropped
 * whole (a log line is one write), and once stderr takes bytes again a line says how many were dropped.
 */
final class NonBlockingStderr extends OutputStream {
    static final int CAPACITY = 1 << 20;
    private static final int CHUNK = 64 * 1024;
    private static volatile NonBlockingStderr installed;

    private final OutputStream target;
    private final byte[] ring = new byte[CAPACITY];
    private final byte[] chunk = new byte[CHUNK];
    private int head;
    private int size;
    private boolean writing;
    private long dropped;
    /** Every line ever dropped, for the metrics; written under the lock, read without it. */
    private volatile long droppedTotal;
    private boolean broken;

    NonBlockingStderr(OutputStream target) {
        this.target = target;
        Thread writer = new Thread(this::writeOut, "wsproxy-stderr");
        writer.setDaemon(true);
        writer.start();
    }

    /** Puts a non-blocking stderr in place of the process's own; call before anything logs. */
    static void install() {
        NonBlockingStderr stderr = new NonBlockingStderr(new FileOutputStream(FileDescriptor.err));
        installed = stderr;
        System.setErr(new PrintStream(stderr, true));
    }

    /** Log lines dropped since start by the installed stderr (0 when none is installed). */
    static long droppedLines() {
        NonBlockingStderr stderr = installed;
        return stderr == null ? 0 : stderr.droppedTotal;
    }

    /** Lines this one dropped since it was made. */
    long droppedTotal() {
        return droppedTotal;
    }

    /** Before the process exits: waits up to {@code max} for what is buffered to reach stderr. */
    static void drainInstalled(Duration max) {
        NonBlockingStderr stderr = installed;
        if (stderr != null) {
            stderr.drain(max);
        }
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) {
        if (broken) {
            droppedTotal++; // nobody will read it, and the metrics say so
            return;
        }
        if (length > CAPACITY - size) {
            dropped++;
            droppedTotal++;
            return;
        }
        int tail = (head + size) % CAPACITY;
        int first = Math.min(length, CAPACITY - tail);
        System.arraycopy(bytes, offset, ring, tail, first);
        System.arraycopy(bytes, offset + first, ring, 0, length - first);
        size += length;
        notifyAll();
    }

    @Override
    public void flush() {
        // the writer thread flushes; nobody waits for it here
    }

    synchronized void drain(Duration max) {
        long end = System.nanoTime() + max.toNanos();
        try {
            while ((size > 0 || writing) && !broken && System.nanoTime() < end) {
                TimeUnit.NANOSECONDS.timedWait(this, end - System.nanoTime());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeOut() {
        while (true) {
            int n;
            long droppedNow;
            synchronized (this) {
                writing = false;
                notifyAll();
                while (size == 0 && dropped == 0) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                n = Math.min(size, Math.min(CHUNK, CAPACITY - head));
                System.arraycopy(ring, head, chunk, 0, n);
                head = (head + n) % CAPACITY;
                size -= n;
                droppedNow = size == 0 ? dropped : 0; // the notice comes after what was written before the drops
                dropped -= droppedNow;
                writing = true;
            }
            try {
                target.write(chunk, 0, n);
                if (droppedNow > 0) {
                    target.write(("wsproxy: " + droppedNow + " log lines dropped: stderr was not read fast enough\n")
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                target.flush();
            } catch (IOException e) {
                synchronized (this) {
                    broken = true; // nobody reads stderr any more: the rest is discarded, never waited for
                    droppedTotal += dropped;
                    dropped = 0;
                    size = 0;
                    writing = false;
                    notifyAll();
                }
                return;
            }
        }
    }
}
