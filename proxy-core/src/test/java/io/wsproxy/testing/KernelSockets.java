package io.wsproxy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** What Linux says about an established TCP socket on this machine (/proc/net/tcp and tcp6). */
public final class KernelSockets {
    /** Linux reports socket timers in USER_HZ ticks, 100 a second on every architecture the JDK runs on. */
    private static final long USER_HZ = 100;
    /** The {@code tr} field: the keep-alive timer is armed. */
    public static final String KEEP_ALIVE_TIMER = "02";
    public static final String NO_TIMER = "00";
    /** The {@code st} field: a connect sent, no answer yet. */
    public static final String SYN_SENT = "02";

    private KernelSockets() {
    }

    /** A socket's timer: which one ({@code tr}) and when it fires. */
    public record Timer(String kind, long seconds) {
    }

    /** How many of this machine's TCP sockets to {@code remotePort} are in {@code state} (02: SYN_SENT). */
    public static int count(int remotePort, String state) throws IOException {
        String remote = String.format(Locale.ROOT, ":%04X", remotePort);
        int n = 0;
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && f[2].endsWith(remote) && f[3].equals(state)) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * Waits (10 s at most) until {@code n} of this machine's sockets are connecting to {@code remotePort}: the
     * kernel's state has no event to wait on, so it is read every 20 ms.
     */
    public static void awaitConnecting(int remotePort, int n) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int now;
        while ((now = count(remotePort, SYN_SENT)) != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(now + " sockets connecting to port " + remotePort + ", not " + n);
            }
            Thread.sleep(20);
        }
    }

    /**
     * Waits (10 s at most) until the established socket from {@code localPort} to {@code remotePort} has nothing
     * left to read: its owner has taken all that arrived (the kernel's receive queue, read every 20 ms).
     */
    public static void awaitAllRead(int localPort, int remotePort) throws IOException, InterruptedException {
        String local = String.format(Locale.ROOT, ":%04X", localPort);
        String remote = String.format(Locale.ROOT, ":%04X", remotePort);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            long unread = -1;
            for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 4 && f[1].endsWith(local) && f[2].endsWith(remote) && f[3].equals("01")) {
                        unread = Long.parseLong(f[4].substring(f[4].indexOf(':') + 1), 16);
                    }
                }
            }
            if (unread == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the socket from port " + localPort + " to " + remotePort
                        + (unread < 0 ? " is not established" : " still holds " + unread + " unread bytes"));
            }
            Thread.sleep(20);
        }
    }

    /**
     * The timer of the established socket from {@code localPort} to {@code remotePort}; {@code localPort} 0 takes
     * any, for a connection whose local port the test does not know (there must be one only).
     */
    public static Timer timer(int localPort, int remotePort) throws IOException {
        String local = String.format(Locale.ROOT, ":%04X", localPort);
        String remote = String.format(Locale.ROOT, ":%04X", remotePort);
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 5 && (localPort == 0 || f[1].endsWith(local)) && f[2].endsWith(remote)
                        && f[3].equals("01")) {
                    String[] timer = f[5].split(":");
                    return new Timer(timer[0], Long.parseLong(timer[1], 16) / USER_HZ);
                }
            }
        }
        throw new AssertionError("no established socket from port " + localPort + " to " + remotePort);
    }
}
