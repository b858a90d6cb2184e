package io.wsproxy.relay;

import java.time.Duration;

/**
 * A rule's relay options: {@code connectTimeout} (TCP, TLS and the upstream handshake), {@code bufferSize} (the one
 * buffer per direction, taken from the server's pool of that size: the most a read or a write moves, and what a slow
 * peer can cost), {@code maxMessageBytes} (0 = no limit; larger: close 1009), {@code closeTimeout} (how long a closing
 * handshake may take before the sockets close).
 */
record RelayOptions(Duration connectTimeout, int bufferSize, long maxMessageBytes, Duration closeTimeout) {
}
