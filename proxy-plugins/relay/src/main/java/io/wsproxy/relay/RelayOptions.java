package io.wsproxy.relay;

import io.undertow.connector.ByteBufferPool;
import java.time.Duration;

/**
 * A rule's relay options: {@code connectTimeout} (TCP, TLS and the upstream handshake), {@code bufferSize} (per
 * direction: what a slow peer can cost; null pool = the server's 16 KiB buffers), {@code maxMessageBytes} (0 = no
 * limit; larger: close 1009), {@code closeTimeout} (how long a closing handshake may take before the sockets close).
 */
record RelayOptions(Duration connectTimeout, ByteBufferPool bufferPool, long maxMessageBytes, Duration closeTimeout) {
}
