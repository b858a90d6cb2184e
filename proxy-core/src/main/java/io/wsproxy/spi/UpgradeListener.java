package io.wsproxy.spi;

import org.xnio.StreamConnection;

/** Receives the client connection once the 101 has been written; called on that connection's I/O thread. */
@FunctionalInterface
public interface UpgradeListener {
    void upgraded(StreamConnection client);
}
