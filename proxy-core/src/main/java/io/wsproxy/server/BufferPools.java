package io.wsproxy.server;

import io.undertow.connector.ByteBufferPool;
import io.undertow.server.DefaultByteBufferPool;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;

/** The server's pools of direct buffers, one per buffer size: made at the first call for a size, shared after. */
final class BufferPools {
    /** The size HTTP parsing, the handshakes and message framing use. */
    static final int STANDARD_BYTES = 16 * 1024;

    /** Undertow's pool: eight idle buffers kept per thread, the rest freed once given back. */
    static final IntFunction<ByteBufferPool> DIRECT = bytes -> new DefaultByteBufferPool(true, bytes, -1, 8);

    private final IntFunction<ByteBufferPool> factory;
    private final ConcurrentHashMap<Integer, ByteBufferPool> bySize = new ConcurrentHashMap<>();
    private final ByteBufferPool standard;

    BufferPools(IntFunction<ByteBufferPool> factory) {
        this.factory = factory;
        this.standard = of(STANDARD_BYTES);
    }

    ByteBufferPool standard() {
        return standard;
    }

    ByteBufferPool of(int bufferBytes) {
        if (bufferBytes <= 0) {
            throw new IllegalArgumentException("a buffer size must be positive, got " + bufferBytes);
        }
        return bySize.computeIfAbsent(bufferBytes, factory::apply);
    }
}
