package io.wsproxy.spi;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Arrays;

/**
 * One closed WebSocket. {@code closedBy} is "client", "upstream" or "proxy"; {@code closeCode} is the code
 * the closing side sent (1006 when it vanished without a close frame). {@code upstream} is the target as the rule
 * names it, {@code upstreamAddress} where the connection to it went (see {@link #address}), "-" when there was none:
 * a name with several addresses may reach any of them.
 */
public record AccessLogEntry(
        String rule,
        String clientAddress,
        String upstream,
        Duration duration,
        long bytesFromClient,
        long bytesFromUpstream,
        int closeCode,
        String closedBy,
        String upstreamAddress) {
    /** An entry without an upstream address, as plugins built before it had one make it. */
    public AccessLogEntry(String rule, String clientAddress, String upstream, Duration duration, long bytesFromClient,
                          long bytesFromUpstream, int closeCode, String closedBy) {
        this(rule, clientAddress, upstream, duration, bytesFromClient, bytesFromUpstream, closeCode, closedBy, "-");
    }

    /** A peer's address as the access log writes it, as nginx's {@code $upstream_addr}: 10.0.0.5:80, [::1]:80. */
    public static String address(SocketAddress peer) {
        if (!(peer instanceof InetSocketAddress inet)) {
            return peer == null ? "-" : peer.toString();
        }
        if (inet.getAddress() == null) {
            return inet.getHostString() + ":" + inet.getPort();
        }
        String host = host(inet.getAddress());
        return (inet.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + inet.getPort();
    }

    /** An address as people and nginx write it: "10.0.0.5", "::1" (RFC 5952), never "0:0:0:0:0:0:0:1". */
    public static String host(java.net.InetAddress address) {
        String host = address.getHostAddress();
        return address instanceof Inet6Address ? compressed(host) : host;
    }

    /** Java writes every group of an IPv6 address ("0:0:0:0:0:0:0:1"); RFC 5952 folds the longest zero run: "::1". */
    private static String compressed(String full) {
        int scope = full.indexOf('%');
        String[] groups = (scope < 0 ? full : full.substring(0, scope)).split(":");
        int runStart = -1;
        int runLength = 1; // a single zero group stays
        for (int i = 0; i < groups.length; ) {
            int j = i;
            while (j < groups.length && groups[j].equals("0")) {
                j++;
            }
            if (j - i > runLength) {
                runStart = i;
                runLength = j - i;
            }
            i = Math.max(j, i + 1);
        }
        if (runStart < 0) {
            return full;
        }
        return String.join(":", Arrays.copyOfRange(groups, 0, runStart)) + "::"
                + String.join(":", Arrays.copyOfRange(groups, runStart + runLength, groups.length))
                + (scope < 0 ? "" : full.substring(scope));
    }
}
