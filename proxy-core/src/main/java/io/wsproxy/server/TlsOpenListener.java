package io.wsproxy.server;

import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.undertow.util.ImmediatePooled;
import io.wsproxy.config.TlsConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioExecutor;
import org.xnio.conduits.ConduitStreamSourceChannel;
import org.xnio.conduits.PushBackStreamSourceConduit;

/**
 * Puts TLS around every accepted connection before Undertow's HTTP listener sees it, as Undertow's own HTTPS
 * listener does: the handshake happens inside the connection's first reads and writes, on its I/O thread, with
 * the key operations on the worker's task threads. The certificate can be replaced while running (a reload after
 * a renewal): connections accepted afterwards present the new one, open ones keep theirs.
 *
 * <p>The client's first byte is looked at before TLS starts: a plain HTTP request (an {@code http://} URL with the
 * TLS port in it) gets a 400 that says to use https:// or wss://, as nginx answers, instead of a TLS alert that
 * clients show as a garbled or empty reply. A client that sends nothing is closed after {@code keepAliveTimeout}.
 */
final class TlsOpenListener implements ChannelListener<StreamConnection> {
    /** A TLS record of type handshake: how every ClientHello begins. */
    private static final byte TLS_HANDSHAKE = 0x16;
    private static final byte[] PLAIN_HTTP_ANSWER = answer(
            "This port speaks TLS only: use https:// or wss:// in the URL.\n");
    /** What is read of a plain request before answering, so that closing does not reset the answer away. */
    private static final int PLAIN_REQUEST_BYTES_READ = 16 * 1024;

    private final Xnio xnio;
    private final ChannelListener<StreamConnection> next;
    private final long firstByteMillis;
    private volatile UndertowXnioSsl ssl;

    TlsOpenListener(Xnio xnio, TlsConfig tls, Duration firstByteTimeout, ChannelListener<StreamConnection> next) {
        this.xnio = xnio;
        this.next = next;
        this.firstByteMillis = firstByteTimeout.toMillis();
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

    /** Waits, on the connection's I/O thread, for the byte that tells TLS from plain HTTP. */
    private final class FirstByte implements ChannelListener<ConduitStreamSourceChannel> {
        private final StreamConnection connection;
        private XnioExecutor.Key timer;

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
            next.handleEvent(ssl.wrapExistingConnection(connection, OptionMap.EMPTY, false));
        }

        /** One try: the socket's send buffer is empty, so the few bytes fit; a client that sent more is reset. */
        private void answerPlainHttp(ConduitStreamSourceChannel source) {
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
