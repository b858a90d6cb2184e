package io.wsproxy.upstream;

import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.ImmediatePooled;
import io.wsproxy.spi.RawUpgrade;
import io.wsproxy.spi.UpstreamException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.conduits.ConduitStreamSinkChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;
import org.xnio.conduits.PushBackStreamSourceConduit;
import org.xnio.ssl.SslConnection;

/**
 * Sends one upgrade request on a fresh upstream connection and reads the head of the answer, on the connection's
 * I/O thread without blocking. After a 101 the connection is handed over positioned right after the head (bytes
 * the upstream sent behind it are read first); any other answer closes it. The head must fit one pooled buffer.
 */
final class UpgradeHandshake {
    private final StreamConnection connection;
    private final ByteBuffer request;
    private final ByteBufferPool pool;
    private final CompletableFuture<RawUpgrade> result;
    private PooledByteBuffer response;
    private int scanned;

    UpgradeHandshake(StreamConnection connection, ByteBuffer request, ByteBufferPool pool,
                     CompletableFuture<RawUpgrade> result) {
        this.connection = connection;
        this.request = request;
        this.pool = pool;
        this.result = result;
    }

    /**
     * {@code GET path HTTP/1.1} with {@code headers} as they are, ISO-8859-1, plus {@code Upgrade: websocket},
     * {@code Connection: Upgrade} and, when {@code headers} has none, {@code Host: authority}.
     */
    static ByteBuffer request(String pathAndQuery, String authority, HeaderMap headers) {
        StringBuilder text = new StringBuilder(512).append("GET ").append(pathAndQuery).append(" HTTP/1.1\r\n");
        if (!headers.contains(Headers.HOST)) {
            text.append("Host: ").append(authority).append("\r\n");
        }
        for (HeaderValues values : headers) {
            HttpString name = values.getHeaderName();
            if (!name.equals(Headers.UPGRADE) && !name.equals(Headers.CONNECTION)) {
                for (String value : values) {
                    text.append(name).append(": ").append(value).append("\r\n");
                }
            }
        }
        text.append("Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        return ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    void start() {
        connection.getSinkChannel().setWriteListener(sink -> write());
        connection.getSourceChannel().setReadListener(source -> read());
        // reading from the start, not after the request is out: TLS needs the peer's handshake records read
        // before our first write can go, and Undertow's TLS conduit only moves both on a resumed read side
        connection.getSourceChannel().resumeReads();
        write();
    }

    /** Closes the connection unless it was handed over; the caller settles {@code result} (a deadline). */
    void abandon() {
        release();
        IoUtils.safeClose(connection);
    }

    private void write() {
        ConduitStreamSinkChannel sink = connection.getSinkChannel();
        try {
            while (request.hasRemaining()) {
                if (sink.write(request) == 0) {
                    sink.resumeWrites();
                    return;
                }
            }
            if (!sink.flush()) {
                sink.resumeWrites();
                return;
            }
        } catch (IOException e) {
            fail("upstream failed during the upgrade: " + UpstreamDialer.reason(e), e);
            return;
        }
        sink.suspendWrites();
        sink.setWriteListener(null);
    }

    private void read() {
        ConduitStreamSourceChannel source = connection.getSourceChannel();
        if (response == null) {
            try {
                response = pool.allocate();
            } catch (OutOfMemoryError noDirectMemory) {
                fail("no buffer to read the upstream's answer into: direct memory is used up (-XX:MaxDirectMemorySize)",
                        noDirectMemory);
                return;
            }
        }
        ByteBuffer buffer = response.getBuffer();
        try {
            while (true) {
                int n = source.read(buffer);
                if (n == 0) {
                    return;
                }
                if (n < 0) {
                    fail(connection instanceof SslConnection ssl && UpstreamTls.handshakeFailed(ssl.getSslSession())
                            ? UpstreamTls.HANDSHAKE_FAILED
                            : "upstream closed the connection without answering the upgrade", null);
                    return;
                }
                int end = ResponseHead.end(buffer, scanned, buffer.position());
                while (end >= 0) {
                    ResponseHead head = ResponseHead.parse(buffer, end);
                    if (!isInterim(head.status())) {
                        answered(head, end);
                        return;
                    }
                    // a 103 Early Hints or a 100 Continue comes before the answer (RFC 9110 15.2): skipped, as a
                    // client must; what follows it is read as the answer, within the same handshake deadline
                    buffer.flip().position(end);
                    buffer.compact();
                    end = ResponseHead.end(buffer, 0, buffer.position());
                }
                scanned = buffer.position();
                if (!buffer.hasRemaining()) {
                    fail("upstream's answer to the upgrade has a head over " + buffer.capacity() + " bytes", null);
                    return;
                }
            }
        } catch (IOException e) {
            fail("upstream failed during the upgrade: " + UpstreamDialer.reason(e), e);
        }
    }

    private static boolean isInterim(int status) {
        return status >= 100 && status < 200 && status != 101;
    }

    private void answered(ResponseHead head, int end) {
        if (head.status() != 101) {
            abandon();
            result.complete(new RawUpgrade(head.status(), head.reason(), head.headers(), null));
            return;
        }
        if (request.hasRemaining()) {
            fail("upstream switched protocols before it had the whole upgrade request", null);
            return;
        }
        ConduitStreamSourceChannel source = connection.getSourceChannel();
        source.suspendReads();
        source.setReadListener(null);
        ByteBuffer buffer = response.getBuffer();
        if (buffer.position() > end) {
            // the upstream spoke first: the new owner reads these bytes before the socket's
            byte[] early = new byte[buffer.position() - end];
            buffer.get(end, early);
            PushBackStreamSourceConduit pushBack = new PushBackStreamSourceConduit(source.getConduit());
            pushBack.pushBack(new ImmediatePooled<>(ByteBuffer.wrap(early)));
            source.setConduit(pushBack);
        }
        release();
        if (!result.complete(new RawUpgrade(101, head.reason(), head.headers(), connection))) {
            IoUtils.safeClose(connection);
        }
    }

    private void fail(String message, Throwable cause) {
        abandon();
        result.completeExceptionally(new UpstreamException(502, message, cause));
    }

    private void release() {
        if (response != null) {
            response.close();
            response = null;
        }
    }
}
