package io.wsproxy.forward;

import io.wsproxy.spi.UpstreamException;
import io.wsproxy.websocket.WebSocketConnection;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * One upstream WebSocket of a client connection: its state, its bounded send queue, its messages.
 *
 * <p>Everything here happens on the session's thread (the client connection's I/O thread), which is also the
 * upstream connection's: the core dials on the calling I/O thread. So one upstream's messages go out in the order
 * the client sent them, and nothing here waits for the upstream.
 */
final class UpstreamLink implements WebSocketConnection.Listener {

    /** What the upstream is to the client connection. */
    enum Role {
        /** The rule's target: the main upstream connection; its messages reach the client unchanged. */
        TARGET,
        /** The rule's target on a dedicated connection, standing in for a self url: wrapped like a forward. */
        SELF,
        /** A server the client named in a forward envelope. */
        FORWARDED
    }

    enum Offer { ACCEPTED, FULL, CLOSED }

    private enum State { CONNECTING, OPEN, CLOSED }

    /** The session's side, called on the session's thread. Message arrays are valid only during the call. */
    interface Events {
        void opened(UpstreamLink link);

        /** @param unsent how many messages waited for the dial and are lost with it */
        void dialFailed(UpstreamLink link, int status, String message, int unsent);

        void lost(UpstreamLink link, int code, String reason);

        void text(UpstreamLink link, byte[] data, int length);

        void binary(UpstreamLink link, byte[] data, int length);
    }

    private final Role role;
    private final String url;
    private final String wrapPrefix;
    private final byte[] wrapPrefixBytes;
    private final long queueBytes;
    private final long maxMessageBytes;
    private final Executor sessionThread;
    private final Events events;

    private final ArrayDeque<byte[]> waiting = new ArrayDeque<>();
    private long waitingBytes;
    private State state = State.CONNECTING;
    private WebSocketConnection connection;
    /** While {@code connection} is null: the dial under way, cancelled if the link closes first. */
    private CompletionStage<WebSocketConnection> dial;
    private boolean closedByUs;
    private int connectRequests;

    /**
     * @param url             the url as the client wrote it, or null for the target
     * @param maxMessageBytes the largest message accepted from this upstream (a bigger one closes it with 1009)
     */
    UpstreamLink(Role role, String url, long queueBytes, long maxMessageBytes, Executor sessionThread, Events events) {
        this.role = role;
        this.url = url;
        this.wrapPrefix = url == null ? null : Envelopes.wrapPrefix(url);
        this.wrapPrefixBytes = wrapPrefix == null ? null : wrapPrefix.getBytes(StandardCharsets.UTF_8);
        this.queueBytes = queueBytes;
        this.maxMessageBytes = maxMessageBytes;
        this.sessionThread = sessionThread;
        this.events = events;
    }

    Role role() {
        return role;
    }

    String url() {
        return url;
    }

    String wrapPrefix() {
        return wrapPrefix;
    }

    /** {@link #wrapPrefix()} in UTF-8, encoded once. */
    byte[] wrapPrefixBytes() {
        return wrapPrefixBytes;
    }

    boolean isOpen() {
        return state == State.OPEN;
    }

    /** What waits for the dial, or for the socket. */
    long pendingBytes() {
        return waitingBytes + (connection == null ? 0 : connection.pendingBytes());
    }

    /** Counts a {@code connect} request to answer when the dial ends. */
    void addConnectRequest() {
        connectRequests++;
    }

    int takeConnectRequests() {
        int n = connectRequests;
        connectRequests = 0;
        return n;
    }

    /** Waits for the dial (on any thread), then continues on the session's thread. */
    void dialing(CompletionStage<WebSocketConnection> dial) {
        this.dial = dial;
        dial.whenComplete((dialed, error) -> sessionThread.execute(() -> dialed(dialed, error)));
    }

    /** For a connection dialled before the session existed (the target, dialled during the handshake). */
    void attach(WebSocketConnection dialed) {
        dialed(dialed, null);
    }

    /**
     * Queues a text of {@code length} bytes (valid UTF-8) for the upstream; refused when what already waits plus
     * it would pass {@code queueBytes}. The target is never refused: the session stops reading the client instead.
     */
    Offer offer(byte[] data, int offset, int length) {
        if (state == State.CLOSED) {
            return Offer.CLOSED;
        }
        if (role != Role.TARGET && pendingBytes() + length > queueBytes) {
            return Offer.FULL;
        }
        if (state == State.CONNECTING) {
            waiting.add(Arrays.copyOfRange(data, offset, offset + length));
            waitingBytes += length;
        } else {
            connection.sendText(data, offset, length);
        }
        return Offer.ACCEPTED;
    }

    /** The target only: relays a client's binary message. */
    void offerBinary(byte[] data, int length) {
        if (state == State.OPEN) {
            connection.sendBinary(data, 0, length);
        }
    }

    boolean overLimit() {
        return pendingBytes() > queueBytes;
    }

    /** Runs {@code action} once when what waits falls to half the limit (at once if it has, or if nothing is open). */
    void whenDrained(Runnable action) {
        if (connection == null) {
            action.run();
        } else {
            connection.whenPendingAtMost(queueBytes / 2, action);
        }
    }

    /** Stops reading the upstream until {@link #resumeReceives()}: the client is behind. */
    void suspendReceives() {
        if (connection != null) {
            connection.suspendReceives();
        }
    }

    void resumeReceives() {
        if (connection != null) {
            connection.resumeReceives();
        }
    }

    /** Closes from our side: no {@link Events#lost} follows. */
    void close(int code, String reason) {
        if (state == State.CLOSED) {
            return;
        }
        closedByUs = true;
        state = State.CLOSED;
        waiting.clear();
        waitingBytes = 0;
        if (connection != null) {
            connection.close(CloseCodes.sendable(code, false), reason);
        } else if (dial != null) {
            // the core closes a connection whose dial is cancelled, at whatever step it is (TCP, TLS, handshake),
            // instead of holding it until the dial ends or times out
            dial.toCompletableFuture().cancel(false);
        }
    }

    private void dialed(WebSocketConnection dialed, Throwable error) {
        if (dialed != null && dialed.ioThread() != Thread.currentThread()) {
            // never so today (the core dials on the calling I/O thread); a session's state has no locks
            dialed.abort();
            dialed = null;
            error = new UpstreamException(502, "upstream connection opened on another I/O thread", null);
        }
        if (state == State.CLOSED) {
            if (dialed != null) {
                dialed.start(this, maxMessageBytes); // closedByUs: nothing it reports reaches the session
                dialed.close(CloseCodes.GOING_AWAY, "client connection closed");
            }
            return;
        }
        if (error != null) {
            state = State.CLOSED;
            int unsent = waiting.size();
            waiting.clear();
            waitingBytes = 0;
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            int status = cause instanceof UpstreamException ue ? ue.status() : 502;
            String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            events.dialFailed(this, status, message, unsent);
            return;
        }
        connection = dialed;
        state = State.OPEN;
        dialed.start(this, maxMessageBytes);
        byte[] text;
        while ((text = waiting.poll()) != null) {
            dialed.sendText(text, 0, text.length);
        }
        waitingBytes = 0;
        events.opened(this);
    }

    @Override
    public void onText(WebSocketConnection from, byte[] data, int length) {
        events.text(this, data, length);
    }

    @Override
    public void onBinary(WebSocketConnection from, byte[] data, int length) {
        events.binary(this, data, length);
    }

    @Override
    public void onClosed(WebSocketConnection from, int code, String reason) {
        if (closedByUs) {
            return;
        }
        state = State.CLOSED;
        events.lost(this, code, reason);
    }

    @Override
    public String toString() {
        return role.name().toLowerCase() + (url == null ? "" : " " + url);
    }
}
