package io.undertow.client.http;

import io.undertow.client.ClientConnection;
import javax.net.ssl.SSLSession;
import org.xnio.ssl.SslConnection;

/** The TLS session under an Undertow client connection, which its interface does not show; only this package can. */
public final class ClientConnectionTls {
    private ClientConnectionTls() {
    }

    /** @return the session, or null when {@code connection} is not over TLS */
    public static SSLSession session(ClientConnection connection) {
        return connection instanceof HttpClientConnection http && http.getConnection() instanceof SslConnection ssl
                ? ssl.getSslSession() : null;
    }
}
