package io.undertow.client.http;

import io.undertow.client.ClientConnection;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.ConduitStreamSourceChannel;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Bounds what an Undertow client connection reads before its response's head is complete. Its parser sets no
 * limit of its own and keeps the whole head in memory, so a target sending an endless header line would fill the
 * heap; past {@code maxBytes} the read fails instead, and the client fails the exchange with that error. The count
 * includes what the read that completed the head brought of the body (up to one buffer), and stops at
 * {@link #lift()}. Sits above the connection's own conduits, which are only reachable from this package.
 */
public final class ResponseHeadLimit extends AbstractStreamSourceConduit<StreamSourceConduit> {
    private final long maxBytes;
    private long read;
    private boolean lifted;

    private ResponseHeadLimit(StreamSourceConduit next, long maxBytes) {
        super(next);
        this.maxBytes = maxBytes;
    }

    /** Puts the limit on {@code connection}'s reads, if it is an HTTP/1.1 connection (the only kind we dial). */
    public static ResponseHeadLimit apply(ClientConnection connection, long maxBytes) {
        ConduitStreamSourceChannel source = sourceOf(connection);
        ResponseHeadLimit limit = new ResponseHeadLimit(source == null ? null : source.getConduit(), maxBytes);
        if (source == null) {
            limit.lift();
        } else {
            source.setConduit(limit);
        }
        return limit;
    }

    /** The channel an HTTP/1.1 client connection reads its responses from; null for any other kind. */
    static ConduitStreamSourceChannel sourceOf(ClientConnection connection) {
        return connection instanceof HttpClientConnection http ? http.getConnection().getSourceChannel() : null;
    }

    /** The head has come: the body is not counted. */
    public void lift() {
        lifted = true;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return (int) counted(next.read(dst));
    }

    @Override
    public long read(ByteBuffer[] dsts, int offs, int len) throws IOException {
        return counted(next.read(dsts, offs, len));
    }

    private long counted(long n) throws IOException {
        if (!lifted && n > 0) {
            read += n;
            if (read > maxBytes) {
                throw new IOException("response head over " + maxBytes + " bytes");
            }
        }
        return n;
    }
}
