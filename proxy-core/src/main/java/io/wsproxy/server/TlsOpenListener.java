package io.wsproxy.server;

import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.wsproxy.config.TlsConfig;
import org.xnio.ChannelListener;
import org.xnio.OptionMap;
import org.xnio.StreamConnection;
import org.xnio.Xnio;

/**
 * Puts TLS around every accepted connection before Undertow's HTTP listener sees it, as Undertow's own HTTPS
 * listener does: the handshake happens inside the connection's first reads and writes, on its I/O thread, with
 * the key operations on the worker's task threads. The certificate can be replaced while running (a reload after
 * a renewal): connections accepted afterwards present the new one, open ones keep theirs.
 */
final class TlsOpenListener implements ChannelListener<StreamConnection> {
    private final Xnio xnio;
    private final ChannelListener<StreamConnection> next;
    private volatile UndertowXnioSsl ssl;

    TlsOpenListener(Xnio xnio, TlsConfig tls, ChannelListener<StreamConnection> next) {
        this.xnio = xnio;
        this.next = next;
        use(tls);
    }

    void use(TlsConfig tls) {
        ssl = new UndertowXnioSsl(xnio, OptionMap.EMPTY, tls.context());
    }

    @Override
    public void handleEvent(StreamConnection connection) {
        next.handleEvent(ssl.wrapExistingConnection(connection, OptionMap.EMPTY, false));
    }
}
