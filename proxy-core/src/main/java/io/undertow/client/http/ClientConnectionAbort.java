package io.undertow.client.http;

import io.undertow.client.ClientConnection;
import org.xnio.IoUtils;

/**
 * Closes an Undertow client connection at once. Its own {@code close()} is a clean close: it shuts down writes
 * and then waits up to ten seconds ({@code io.undertow.max-drain-time}) for the peer to send something or close,
 * and when a request is under way the shutdown does not even reach the socket. That is right for a connection
 * that finished its exchange, but a proxy giving up on a stalled upstream has to free it now. The socket is only
 * reachable from this package.
 */
public final class ClientConnectionAbort {
    private ClientConnectionAbort() {
    }

    public static void abort(ClientConnection connection) {
        if (connection instanceof HttpClientConnection http) {
            IoUtils.safeClose(http.getConnection());
        }
        IoUtils.safeClose(connection);
    }
}
