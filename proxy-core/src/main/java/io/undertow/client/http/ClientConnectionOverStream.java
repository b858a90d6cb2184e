package io.undertow.client.http;

import io.undertow.client.ClientConnection;
import io.undertow.connector.ByteBufferPool;
import org.xnio.OptionMap;
import org.xnio.StreamConnection;

/**
 * An Undertow HTTP/1.1 client connection over a connection we dialled ourselves. Undertow's own client dials by
 * the URI's host name, which is always that name's first address; the proxy chooses among all of them (see
 * {@code UpstreamDialer}). The constructor is only reachable from this package.
 */
public final class ClientConnectionOverStream {
    private ClientConnectionOverStream() {
    }

    /** {@code connection} plain or TLS (its handshake started), as Undertow's client hands it over itself. */
    public static ClientConnection of(StreamConnection connection, OptionMap options, ByteBufferPool bufferPool) {
        return new HttpClientConnection(connection, options, bufferPool);
    }
}
