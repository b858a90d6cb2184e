package io.wsproxy.relay;

import io.undertow.connector.ByteBufferPool;
import io.wsproxy.logging.WarningThrottle;
import io.wsproxy.spi.AccessLogEntry;
import io.wsproxy.spi.ProxyServices;
import io.wsproxy.spi.ProxySession;
import io.wsproxy.spi.SessionRegistration;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.XnioExecutor;

/**
 * One relayed WebSocket: two pumps, client to upstream and back, on one I/O thread. Close frames pass through
 * untouched; when a side vanishes or breaks a rule, the relay speaks for it with a close frame of its own
 * (1001 client went away, 1014 upstream failed, 1009 too big), never a reserved code.
 */
final class RelaySession implements ProxySession {
    private static final Logger log = LoggerFactory.getLogger(RelaySession.class);
    /** Once memory runs out, every session reading more would say so. */
    private static final WarningThrottle OUT_OF_BUFFERS = new WarningThrottle(Duration.ofSeconds(10));

    private final StreamConnection client;
    private final StreamConnection upstream;
    private final RelayOptions options;
    private final ProxyServices services;
    private final String rule;
    private final String clientAddress;
    private final String upstreamUri;
    private final Pump fromClient;
    private final Pump fromUpstream;
    private final long startNanos = System.nanoTime();

    private SessionRegistration registration;
    private XnioExecutor.Key closeTimer;
    private String closedBy;
    private int closeCode;
    private boolean closed;

    RelaySession(StreamConnection client, StreamConnection upstream, RelayOptions options, ProxyServices services,
                 String rule, String clientAddress, String upstreamUri) {
        this.client = client;
        this.upstream = upstream;
        this.options = options;
        this.services = services;
        this.rule = rule;
        this.clientAddress = clientAddress;
        this.upstreamUri = upstreamUri;
        ByteBufferPool pool = services.bufferPool(options.bufferSize());
        this.fromClient = new Pump("client", client.getSourceChannel(), upstream.getSinkChannel(),
                new FrameScanner(options.maxMessageBytes()), pool, true, isPlain(client), this);
        this.fromUpstream = new Pump("upstream", upstream.getSourceChannel(), client.getSinkChannel(),
                new FrameScanner(options.maxMessageBytes()), pool, false, isPlain(upstream), this);
    }

    void start() {
        registration = services.register(this);
        fromClient.start();
        fromUpstream.start();
    }

    /** Shutdown: both sides get {@code code}. Safe from any thread. */
    @Override
    public void close(int code, String reason) {
        client.getIoThread().execute(() -> {
            record("proxy", code);
            fromClient.injectClose(code, reason);
            fromUpstream.injectClose(code, reason);
        });
    }

    void closeFrameSeen(Pump pump) {
        record(pump.side(), pump.scanner().closeCode());
    }

    /** {@code pump}'s source ended without a close frame: its peer hears it from us. */
    void vanished(Pump pump) {
        record(pump.side(), 1006);
        pump.injectClose(goneCode(pump), pump.side() + " went away");
    }

    /** Writing to {@code pump}'s sink failed: that side is gone, so the other direction's source is too. */
    void sinkFailed(Pump pump) {
        Pump other = other(pump);
        record(other.side(), 1006);
        other.injectClose(goneCode(other), other.side() + " went away");
    }

    /** {@code pump}'s source broke a rule: it gets {@code code}, the other side is told we end the session. */
    void violation(Pump pump, int code, String reason) {
        record("proxy", code);
        other(pump).injectClose(code, reason);
        pump.injectClose(goneCode(pump), pump.side() + " broke the protocol: " + reason);
    }

    /**
     * No buffer could be had for {@code pump}'s next read: direct memory is used up (many stalled readers, each
     * holding one). The session ends at once, its buffers going back, rather than leaving a readable socket that
     * its I/O thread would be woken for again and again.
     */
    void outOfBuffers(Pump pump, OutOfMemoryError error) {
        if (OUT_OF_BUFFERS.allow()) {
            log.warn("rule {}: no {}-byte buffer for the {} of {} ({}); sessions are closed while this lasts: lower "
                    + "the rule's bufferSize or raise -XX:MaxDirectMemorySize (default: the heap's size)", rule,
                    options.bufferSize(), pump.side(), clientAddress, error.getMessage());
        }
        record("proxy", 1013);
        abort();
    }

    /** Close frames have gone through whole in both directions. */
    boolean closedBothWays() {
        return fromClient.closeForwarded() && fromUpstream.closeForwarded();
    }

    private static boolean isPlain(StreamConnection connection) {
        return !(connection instanceof org.xnio.ssl.SslConnection);
    }

    void pumpChanged() {
        if (fromClient.finished() && fromUpstream.finished()) {
            abort();
        }
    }

    /** Closes both connections now. */
    void abort() {
        if (closed) {
            return;
        }
        closed = true;
        if (closeTimer != null) {
            closeTimer.remove();
        }
        String upstreamAddress = AccessLogEntry.address(upstream.getPeerAddress());
        IoUtils.safeClose(client, upstream);
        fromClient.releaseBuffer();
        fromUpstream.releaseBuffer();
        if (registration != null) {
            registration.close();
        }
        services.accessLog(new AccessLogEntry(rule, clientAddress, upstreamUri,
                Duration.ofNanos(System.nanoTime() - startNanos), fromClient.bytes(), fromUpstream.bytes(),
                closedBy == null ? 1006 : closeCode, closedBy == null ? "proxy" : closedBy, upstreamAddress));
    }

    /** The first close decides what the access log says; it also starts the clock on the closing handshake. */
    private void record(String side, int code) {
        if (closedBy == null) {
            closedBy = side;
            closeCode = code;
        }
        if (closeTimer == null && !closed) {
            try {
                closeTimer = client.getIoThread().executeAfter(this::abort, options.closeTimeout().toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                // the worker is stopping and closes every channel itself: no closing handshake to time
            }
        }
    }

    private static int goneCode(Pump pump) {
        return pump.side().equals("client") ? 1001 : 1014;
    }

    private Pump other(Pump pump) {
        return pump == fromClient ? fromUpstream : fromClient;
    }
}
