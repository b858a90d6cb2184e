package io.wsproxy.server;

import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.undertow.util.ImmediatePooled;
import io.wsproxy.config.TlsConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioExecutor;
import org.xnio.conduits.ConduitStreamSourceChannel;
import org.xnio.conduits.PushBackStreamSourceConduit;
import org.xnio.ssl.SslConnection;

/**
 * Puts TLS around every accepted connection before Undertow's HTTP listener sees it, as Undertow's own HTTPS
 * listener does: the handshake happens inside the connection's first reads and writes, on its I/O thread, with
 * the key operations on the worker's task threads. The certificate can be replaced while running (a reload after
 * a renewal): connections accepted afterwards present the new one, open ones keep theirs.
 *
 * <p>The client's first byte is looked at before TLS starts: a plain HTTP request (an {@code http://} URL with the
 * TLS port in it) gets a 400 that says to use https:// or wss://, as nginx answers, instead of a TLS alert that
 * clients show as a garbled or empty reply. A client that sends nothing is closed after {@code keepAliveTimeout}.
 * Each handshake's outcome is counted for the metrics; one that began and did not complete (a client that does
 * not trust the certificate, an expired one, no protocol in common) is logged with the client's address.
 */
final class TlsOpenListener implements ChannelListener<StreamConnection> {
    /** A TLS record of type handshake: how every ClientHello begins. */
    private static final byte TLS_HANDSHAKE = 0x16;
    private static final byte[] PLAIN_HTTP_ANSWER = answer(
            "This port speaks TLS only: use https:// or wss:// in the URL.\n");
    /** What is read of a plain request before answering, so that closing does not reset the answer away. */
    private static final int PLAIN_REQUEST_BYTES_READ = 16 * 1024;

    private static final Logger log = LoggerFactory.getLogger(TlsOpenListener.class);

    private final Xnio xnio;
    private final ChannelListener<StreamConnection> next;
    private final long firstByteMillis;
    private final ProxyMetrics metrics;
    private volatile UndertowXnioSsl ssl;

    TlsOpenListener(Xnio xnio, TlsConfig tls, Duration firstByteTimeout, ProxyMetrics metrics,
                    ChannelListener<StreamConnection> next) {
        this.xnio = xnio;
        this.next = next;
        this.firstByteMillis = firstByteTimeout.toMillis();
        this.metrics = metrics;
        use(tls);
    }

    void use(TlsConfig tls) {
        ssl = new UndertowXnioSsl(xnio, OptionMap.EMPTY, tls.context());
    }

    @Override
    public void handleEvent(StreamConnection connection) {
        new FirstByte(connection).start();
    }

    private static byte[] answer(String body) {
        return ("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: " + body.length()
                + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Waits, on the connection's I/O thread, for the byte that tells TLS from plain HTTP; then sees the handshake
     * through to its end, completed or not.
     */
    private final class FirstByte implements ChannelListener<ConduitStreamSourceChannel> {
        private final StreamConnection connection;
        private XnioExecutor.Key timer;
        /** Set on the I/O thread; read when the connection closes, which may happen on another. */
        private volatile boolean handshakeCompleted;

        FirstByte(StreamConnection connection) {
            this.connection = connection;
        }

        void start() {
            connection.getSourceChannel().setReadListener(this);
            timer = connection.getIoThread().executeAfter(() -> IoUtils.safeClose(connection), firstByteMillis,
                    TimeUnit.MILLISECONDS);
            connection.getSourceChannel().resumeReads();
        }

        @Override
        public void handleEvent(ConduitStreamSourceChannel source) {
            ByteBuffer first = ByteBuffer.allocate(1);
            int n;
            try {
                n = source.read(first);
            } catch (IOException e) {
                n = -1;
            }
            if (n == 0) {
                return;
            }
            timer.remove();
            source.suspendReads();
            source.getReadSetter().set(null);
            if (n < 0) {
                IoUtils.safeClose(connection);
            } else if (first.get(0) == TLS_HANDSHAKE) {
                startTls(source, first.flip());
            } else {
                answerPlainHttp(source);
            }
        }

        private void startTls(ConduitStreamSourceChannel source, ByteBuffer first) {
            PushBackStreamSourceConduit pushBack = new PushBackStreamSourceConduit(source.getConduit());
            pushBack.pushBack(new ImmediatePooled<>(first));
            source.setConduit(pushBack);
            SslConnection tls = ssl.wrapExistingConnection(connection, OptionMap.EMPTY, false);
            tls.getHandshakeSetter().set(c -> {
                if (!handshakeCompleted) { // TLS 1.3 may report a finished handshake again (session tickets)
                    handshakeCompleted = true;
                    metrics.tlsHandshake(ProxyMetrics.TLS_COMPLETED);
                }
            });
            // the TCP connection's own close listener: Undertow sets the TLS connection's, not this one
            connection.getCloseSetter().set(c -> {
                if (!handshakeCompleted) {
                    metrics.tlsHandshake(ProxyMetrics.TLS_FAILED);
                    log.info("TLS handshake with {} did not complete (the client may not trust the certificate, "
                            + "or share no protocol or cipher with the proxy)", connection.getPeerAddress());
                }
            });
            next.handleEvent(tls);
        }

        /** One try: the socket's send buffer is empty, so the few bytes fit; a client that sent more is reset. */
        private void answerPlainHttp(ConduitStreamSourceChannel source) {
            metrics.tlsHandshake(ProxyMetrics.TLS_PLAIN_HTTP);
            log.info("plain HTTP from {} on the TLS port: answered 400", connection.getPeerAddress());
            try {
                ByteBuffer request = ByteBuffer.allocate(PLAIN_REQUEST_BYTES_READ);
                while (request.hasRemaining() && source.read(request) > 0) {
                    // the rest of the request head, as far as it has come
                }
                connection.getSinkChannel().write(ByteBuffer.wrap(PLAIN_HTTP_ANSWER));
                connection.getSinkChannel().flush();
            } catch (IOException e) {
                // the client is gone already
            } finally {
                IoUtils.safeClose(connection);
            }
        }
    }
}
