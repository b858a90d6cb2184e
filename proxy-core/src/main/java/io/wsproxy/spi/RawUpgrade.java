package io.wsproxy.spi;

import io.undertow.util.HeaderMap;
import org.xnio.StreamConnection;

/**
 * An upstream's answer to an upgrade request. {@code connection} is the raw upstream connection, positioned
 * right after the 101's headers, when {@code status} is 101; null otherwise (the core has closed it).
 */
public record RawUpgrade(int status, String reason, HeaderMap headers, StreamConnection connection) {
    public boolean upgraded() {
        return status == 101 && connection != null;
    }
}
