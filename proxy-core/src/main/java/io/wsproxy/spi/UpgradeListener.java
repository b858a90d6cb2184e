package io.wsproxy.spi;

import org.xnio.StreamConnection;

/** Receives the client connection once the 101 has been written; called on that connection's I/O thread. */
@FunctionalInterface
public interface UpgradeListener {
    void upgraded(StreamConnection client);

    /**
     * The client went away before its 101 was written, so {@link #upgraded} will never be called: release
     * whatever was prepared for it (an upstream connection already open, for example).
     */
    default void abandoned() {
    }
}
