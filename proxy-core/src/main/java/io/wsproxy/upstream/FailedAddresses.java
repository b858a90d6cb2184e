package io.wsproxy.upstream;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The addresses of several-address targets that failed a dial lately: for {@link #FAIL_TIMEOUT} after, a dial tries
 * them only when the others have failed too, as nginx skips a server for {@code fail_timeout} after a failure. So
 * a replica that is down costs one dial its refusal, or its share of the connect timeout when it drops the
 * connection attempt, every ten seconds, instead of every other dial. Shared by all I/O threads.
 */
final class FailedAddresses {
    static final Duration FAIL_TIMEOUT = Duration.ofSeconds(10);
    /** Past this many (all failed in the last ten seconds), further failures are not remembered. */
    private static final int MAX_REMEMBERED = 4096;

    private final ConcurrentHashMap<InetSocketAddress, Long> failedAt = new ConcurrentHashMap<>();
    private final LongSupplier nanoClock;

    FailedAddresses() {
        this(System::nanoTime);
    }

    FailedAddresses(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    void failed(InetSocketAddress address) {
        if (failedAt.size() >= MAX_REMEMBERED) {
            failedAt.keySet().removeIf(a -> !recentlyFailed(a));
            if (failedAt.size() >= MAX_REMEMBERED) {
                return;
            }
        }
        failedAt.put(address, nanoClock.getAsLong());
    }

    void succeeded(InetSocketAddress address) {
        if (!failedAt.isEmpty()) {
            failedAt.remove(address);
        }
    }

    boolean recentlyFailed(InetSocketAddress address) {
        Long at = failedAt.get(address);
        if (at == null) {
            return false;
        }
        if (nanoClock.getAsLong() - at < FAIL_TIMEOUT.toNanos()) {
            return true;
        }
        failedAt.remove(address, at);
        return false;
    }

    /**
     * The order to dial {@code addresses} in: around from {@code first}, those that failed lately moved to the end
     * (in the same order among themselves).
     */
    InetSocketAddress[] order(InetAddress[] addresses, int first, int port) {
        int n = addresses.length;
        InetSocketAddress[] order = new InetSocketAddress[n];
        InetSocketAddress[] failed = null;
        int healthy = 0;
        int failedCount = 0;
        for (int i = 0; i < n; i++) {
            InetSocketAddress address = new InetSocketAddress(addresses[(first + i) % n], port);
            if (n > 1 && recentlyFailed(address)) {
                if (failed == null) {
                    failed = new InetSocketAddress[n];
                }
                failed[failedCount++] = address;
            } else {
                order[healthy++] = address;
            }
        }
        if (failedCount > 0) {
            System.arraycopy(failed, 0, order, healthy, failedCount);
        }
        return order;
    }
}
