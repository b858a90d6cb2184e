package io.wsproxy.app;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to a thread that dies of an exception nobody caught. An I/O thread killed by
 * {@link OutOfMemoryError} leaves a process that still holds its port but accepts and relays nothing, and never
 * recovers; so out of memory the process exits at once with {@link #STATUS}, for a supervisor to restart it. It
 * halts rather than exits: a graceful stop needs the memory and the I/O threads that are gone. Any other
 * exception is logged with the thread's name.
 */
final class OutOfMemoryExit implements Thread.UncaughtExceptionHandler {
    static final int STATUS = 3;
    /** Built up front: out of memory there may be no room to build it. */
    private static final byte[] MESSAGE = ("wsproxy: out of memory, exiting (status " + STATUS
            + "); give the JVM more heap (-Xmx) or take fewer connections\n").getBytes(StandardCharsets.US_ASCII);
    private static final Logger log = LoggerFactory.getLogger(OutOfMemoryExit.class);

    private final PrintStream err;

    OutOfMemoryExit(PrintStream err) {
        this.err = err;
    }

    static void install() {
        Thread.setDefaultUncaughtExceptionHandler(new OutOfMemoryExit(System.err));
    }

    @Override
    public void uncaughtException(Thread thread, Throwable e) {
        if (!outOfMemory(e)) {
            try {
                log.error("uncaught exception in thread {}", thread.getName(), e);
                return;
            } catch (OutOfMemoryError noRoomToLog) {
                // out of memory all the same
            }
        }
        try {
            err.write(MESSAGE, 0, MESSAGE.length);
            err.flush();
            NonBlockingStderr.drainInstalled(Main.STDERR_DRAIN);
        } finally {
            Runtime.getRuntime().halt(STATUS);
        }
    }

    /** Also what a library made of one: an exception whose cause is out of memory. */
    private static boolean outOfMemory(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OutOfMemoryError) {
                return true;
            }
        }
        return false;
    }
}
