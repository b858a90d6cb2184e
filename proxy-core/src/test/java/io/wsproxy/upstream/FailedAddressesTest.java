package io.wsproxy.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FailedAddressesTest {
    private final AtomicLong now = new AtomicLong();
    private final FailedAddresses failed = new FailedAddresses(now::get);

    @Test
    void anAddressThatFailedIsDialledLastForTenSeconds() throws Exception {
        InetAddress[] addresses = {ip(1), ip(2), ip(3)};
        failed.failed(at(ip(2)));

        assertArrayEquals(new InetSocketAddress[] {at(ip(3)), at(ip(1)), at(ip(2))}, failed.order(addresses, 1, 80),
                "from the second around, the failed one last");
        now.addAndGet(FailedAddresses.FAIL_TIMEOUT.toNanos() - 1);
        assertTrue(failed.recentlyFailed(at(ip(2))));
        now.addAndGet(1);
        assertFalse(failed.recentlyFailed(at(ip(2))));
        assertArrayEquals(new InetSocketAddress[] {at(ip(2)), at(ip(3)), at(ip(1))}, failed.order(addresses, 1, 80));
    }

    @Test
    void aSuccessClearsTheFailureAndPortsAreApart() throws Exception {
        failed.failed(at(ip(1)));
        assertFalse(failed.recentlyFailed(new InetSocketAddress(ip(1), 81)), "another port of the same host");
        failed.succeeded(at(ip(1)));
        assertFalse(failed.recentlyFailed(at(ip(1))));
    }

    @Test
    void whenAllFailedTheyKeepTheirTurnsAndALoneAddressIsNeverMoved() throws Exception {
        failed.failed(at(ip(1)));
        failed.failed(at(ip(2)));
        assertArrayEquals(new InetSocketAddress[] {at(ip(2)), at(ip(1))}, failed.order(new InetAddress[] {ip(1), ip(2)},
                1, 80));
        assertArrayEquals(new InetSocketAddress[] {at(ip(1))}, failed.order(new InetAddress[] {ip(1)}, 0, 80));
    }

    @Test
    void remembersABoundedNumberAndMakesRoomFromThoseExpired() throws Exception {
        for (int i = 0; i < 5000; i++) {
            failed.failed(new InetSocketAddress(ip(1), i + 1));
        }
        assertFalse(failed.recentlyFailed(new InetSocketAddress(ip(1), 5000)), "past the bound: not remembered");
        now.addAndGet(FailedAddresses.FAIL_TIMEOUT.toNanos());
        failed.failed(new InetSocketAddress(ip(1), 5000));
        assertTrue(failed.recentlyFailed(new InetSocketAddress(ip(1), 5000)), "the expired made room");
    }

    private static InetAddress ip(int last) throws UnknownHostException {
        return InetAddress.getByAddress(new byte[] {10, 0, 0, (byte) last});
    }

    private static InetSocketAddress at(InetAddress address) {
        return new InetSocketAddress(address, 80);
    }
}
