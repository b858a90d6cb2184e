package io.wsproxy.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class AccessLogEntryTest {
    @Test
    void writesAnAddressAsNginxWritesUpstreamAddr() throws Exception {
        assertEquals("10.0.0.5:8080", AccessLogEntry.address(
                new InetSocketAddress(InetAddress.getByAddress("replicas.test", new byte[] {10, 0, 0, 5}), 8080)));
        assertEquals("[::1]:80", AccessLogEntry.address(new InetSocketAddress(InetAddress.getByName("::1"), 80)));
        assertEquals("[2001:db8::1:0:0:1]:80", AccessLogEntry.address(
                new InetSocketAddress(InetAddress.getByName("2001:db8:0:0:1:0:0:1"), 80)), "the first longest run");
        assertEquals("[2001:db8:0:1:1:1:1:1]:80", AccessLogEntry.address(
                new InetSocketAddress(InetAddress.getByName("2001:db8:0:1:1:1:1:1"), 80)), "one zero group stays");
        assertEquals("[::]:80", AccessLogEntry.address(new InetSocketAddress(InetAddress.getByName("::"), 80)));
        assertEquals("not.resolved:443",
                AccessLogEntry.address(InetSocketAddress.createUnresolved("not.resolved", 443)));
        assertEquals("-", AccessLogEntry.address(null));
    }

    @Test
    void anEntryMadeTheOldWayHasNoAddress() {
        AccessLogEntry entry = new AccessLogEntry("r", "c", "u", java.time.Duration.ZERO, 0, 0, 1000, "client");
        assertEquals("-", entry.upstreamAddress());
    }
}
