package io.wsproxy.spi;

/** Handle to a tracked {@link ProxySession}; {@link #close()} forgets it. */
@FunctionalInterface
public interface SessionRegistration extends AutoCloseable {
    @Override
    void close();
}
