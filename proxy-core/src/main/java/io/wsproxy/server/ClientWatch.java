package io.wsproxy.server;

import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.AbstractServerConnection;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.ServerConnection;
import io.undertow.util.ImmediatePooledByteBuffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.xnio.ChannelListener;
import org.xnio.conduits.ConduitStreamSourceChannel;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Watches the client of an upgrade while its plugin decides (the relay dials the target first), or of a plain request
 * while its target is dialled or thinks, so that a client that goes meanwhile is noticed then, not when the answer
 * finds its socket closed: Undertow reads nothing from a connection whose request is running. While it watches, the
 * connection's conduits are Undertow's original ones (a request's body conduit, finished, would pass no readiness
 * on), and the request's are put back when it stops. A read that ends the stream (or fails) means the client went;
 * bytes it sent early (frames behind its request, which RFC 6455 says it must not, and some do) join the connection's
 * extra bytes (those read ahead with the request), which Undertow hands to whoever takes the connection after a 101,
 * before the socket's. Either way the watch ends there, as it does when the answer comes; Undertow's own read
 * listener is put back, with reads suspended as it keeps them while a request runs. Everything runs on the
 * connection's I/O thread.
 */
final class ClientWatch implements ChannelListener<ConduitStreamSourceChannel> {
    private final AbstractServerConnection connection;
    private final ConduitStreamSourceChannel source;
    /** Below the conduit that serves the extra bytes first: what this reads comes after them. */
    private final StreamSourceConduit socket;
    private final ChannelListener<? super ConduitStreamSourceChannel> undertows;
    private final AbstractServerConnection.ConduitState requests;
    private final Runnable onLeft;
    private boolean watching = true;

    private ClientWatch(AbstractServerConnection connection, Runnable onLeft) {
        this.connection = connection;
        this.source = connection.getChannel().getSourceChannel();
        this.socket = connection.getOriginalSourceConduit();
        this.undertows = source.getReadListener();
        this.requests = connection.resetChannel();
        this.onLeft = onLeft;
    }

    /**
     * Starts watching {@code exchange}'s client; null for a request whose body has not all been read (Undertow
     * reads that itself) or a connection of another kind than HTTP/1: the client going is then noticed at the answer.
     */
    static ClientWatch start(HttpServerExchange exchange, Runnable onLeft) {
        ServerConnection connection = exchange.getConnection();
        if (!exchange.isRequestComplete() || !(connection instanceof AbstractServerConnection server)
                || server.getOriginalSourceConduit() == null) {
            return null;
        }
        ClientWatch watch = new ClientWatch(server, onLeft);
        watch.source.setReadListener(watch);
        watch.source.resumeReads();
        return watch;
    }

    @Override
    public void handleEvent(ConduitStreamSourceChannel channel) {
        if (!watching) {
            return;
        }
        PooledByteBuffer pooled;
        try {
            pooled = connection.getByteBufferPool().allocate();
        } catch (OutOfMemoryError noDirectMemory) {
            stop(); // direct memory used up: a client that went is then noticed at the answer, as without a watch
            return;
        }
        boolean kept = false;
        try {
            int n = socket.read(pooled.getBuffer());
            if (n == 0) {
                return;
            }
            stop();
            if (n < 0) {
                onLeft.run();
                return;
            }
            pooled.getBuffer().flip();
            keepAfterExtraBytes(pooled);
            kept = true;
        } catch (IOException e) {
            stop();
            onLeft.run();
        } finally {
            if (!kept) {
                pooled.close();
            }
        }
    }

    private void keepAfterExtraBytes(PooledByteBuffer read) {
        PooledByteBuffer before = connection.getExtraBytes();
        if (before == null) {
            connection.setExtraBytes(read);
            return;
        }
        // both behind the request, rarely (a client sending frames early, in two pieces): joined in one array
        ByteBuffer joined = ByteBuffer.allocate(before.getBuffer().remaining() + read.getBuffer().remaining());
        joined.put(before.getBuffer()).put(read.getBuffer()).flip();
        before.close();
        read.close();
        connection.setExtraBytes(new ImmediatePooledByteBuffer(joined));
    }

    /** Ends the watch (the answer is in, or the client spoke or went); Undertow's read listener is back. */
    void stop() {
        if (watching) {
            watching = false;
            source.suspendReads();
            source.setReadListener(undertows);
            connection.restoreChannel(requests);
        }
    }
}
