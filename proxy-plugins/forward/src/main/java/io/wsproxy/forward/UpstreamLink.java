package io.wsproxy.forward;

import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketCallback;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.wsproxy.spi.UpstreamException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.xnio.IoUtils;
import org.xnio.Pooled;

/**
 * One upstream WebSocket of a client connection: its state, its bounded send queue, its reader.
 *
 * <p>State and queue belong to the session's thread (the client connection's I/O thread): every send starts
 * there, so one upstream's messages go out in the order the client sent them, and nothing here waits for the
 * upstream. Only the byte count is shared with the threads that finish writes.
 */
final class UpstreamLink {

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

    /** The session's side. {@link #text} and {@link #binary} run on the upstream's thread, the rest on the session's. */
    interface Events {
        void opened(UpstreamLink link);

        void dialFailed(UpstreamLink link, int status, String message, List<String> unsent);

        void lost(UpstreamLink link, int code, String reason);

        void text(UpstreamLink link, WebSocketChannel from, String text);

        /** Takes ownership of {@code data}. */
        void binary(UpstreamLink link, WebSocketChannel from, Pooled<ByteBuffer[]> data);
    }

    private final Role role;
    private final String url;
    private final String wrapPrefix;
    private final long wrapPrefixBytes;
    private final long queueBytes;
    private final long maxMessageBytes;
    private final Executor sessionThread;
    private final Events events;

    private final AtomicLong pending = new AtomicLong();
    private final AtomicBoolean waitingForDrain = new AtomicBoolean();
    private volatile Runnable onDrained;
    private final LongConsumer sent = size -> {
        pending.addAndGet(-size);
        drainedCheck();
    };

    private final ArrayDeque<String> waiting = new ArrayDeque<>();
    private State state = State.CONNECTING;
    private WebSocketChannel channel;
    private TurnFlusher flusher;
    private volatile boolean closedByUs;
    private volatile int closeCode = 1006;
    private volatile String closeReason = "";
    private int connectRequests;

    /**
     * @param url             the url as the client wrote it, or null for the target
     * @param maxMessageBytes the largest message accepted from this upstream (a bigger one closes it with 1009)
     */
    UpstreamLink(Role role, String url, long queueBytes, long maxMessageBytes, Executor sessionThread, Events events) {
        this.role = role;
        this.url = url;
        this.wrapPrefix = url == null ? null : Envelopes.wrapPrefix(url);
        this.wrapPrefixBytes = wrapPrefix == null ? 0 : Utf8.length(wrapPrefix);
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

    /** {@link #wrapPrefix()}'s length in UTF-8, measured once. */
    long wrapPrefixBytes() {
        return wrapPrefixBytes;
    }

    boolean isOpen() {
        return state == State.OPEN;
    }

    long pendingBytes() {
        return pending.get();
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
    void dialing(CompletionStage<WebSocketChannel> dial) {
        dial.whenComplete((ch, error) -> sessionThread.execute(() -> dialed(ch, error)));
    }

    /** For a channel dialled before the session existed (the target, dialled during the handshake). */
    void attach(WebSocketChannel ch) {
        dialed(ch, null);
    }

    /**
     * Queues {@code text} for the upstream; refused when what already waits plus {@code text} would pass
     * {@code queueBytes}. The target is never refused: the session stops reading the client instead.
     */
    Offer offer(String text) {
        return offer(text, Utf8.length(text));
    }

    /** @param size {@code text}'s length in UTF-8 */
    Offer offer(String text, long size) {
        if (state == State.CLOSED) {
            return Offer.CLOSED;
        }
        if (role != Role.TARGET && pending.get() + size > queueBytes) {
            return Offer.FULL;
        }
        pending.addAndGet(size);
        if (state == State.CONNECTING) {
            waiting.add(text);
        } else {
            WebSockets.sendText(text, channel, new CountedWrite(size, null, sent));
            flusher.schedule();
        }
        return Offer.ACCEPTED;
    }

    /** The target only: relays a client's binary message of {@code size} bytes, taking ownership of {@code data}. */
    void offerBinary(Pooled<ByteBuffer[]> data, long size) {
        if (state != State.OPEN) {
            data.free();
            return;
        }
        pending.addAndGet(size);
        WebSockets.sendBinary(data.getResource(), channel, new CountedWrite(size, data, sent));
        flusher.schedule();
    }

    boolean overLimit() {
        return pending.get() > queueBytes;
    }

    /** Runs {@code action} once (on a writer's thread) when what waits falls to half the limit. */
    void whenDrained(Runnable action) {
        onDrained = action;
        waitingForDrain.set(true);
        drainedCheck();
    }

    /** Closes from our side: no {@link Events#lost} follows. */
    void close(int code, String reason) {
        if (state == State.CLOSED) {
            return;
        }
        closedByUs = true;
        state = State.CLOSED;
        waiting.clear();
        if (channel != null) {
            closeChannel(channel, CloseCodes.sendable(code, false), CloseCodes.reason(reason));
        }
    }

    private void dialed(WebSocketChannel ch, Throwable error) {
        if (state == State.CLOSED) {
            if (ch != null) {
                closeChannel(ch, CloseCodes.GOING_AWAY, "client connection closed");
            }
            return;
        }
        if (error != null) {
            state = State.CLOSED;
            List<String> unsent = List.copyOf(waiting);
            waiting.clear();
            pending.set(0);
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            int status = cause instanceof UpstreamException ue ? ue.status() : 502;
            String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            events.dialFailed(this, status, message, unsent);
            return;
        }
        channel = ch;
        flusher = TurnFlusher.install(ch);
        ch.getReceiveSetter().set(new Reader());
        ch.getCloseSetter().set(closed -> sessionThread.execute(this::channelClosed));
        state = State.OPEN;
        String text;
        while ((text = waiting.poll()) != null) {
            WebSockets.sendText(text, ch, new CountedWrite(Utf8.length(text), null, sent));
        }
        flusher.schedule();
        ch.resumeReceives();
        events.opened(this);
    }

    private void channelClosed() {
        if (closedByUs) {
            return;
        }
        state = State.CLOSED;
        events.lost(this, closeCode, closeReason);
    }

    private void drainedCheck() {
        if (pending.get() <= queueBytes / 2 && waitingForDrain.compareAndSet(true, false)) {
            onDrained.run();
        }
    }

    private static void closeChannel(WebSocketChannel ch, int code, String reason) {
        WebSockets.sendClose(code, reason, ch, new WebSocketCallback<Void>() {
            @Override
            public void complete(WebSocketChannel channel, Void context) {
            }

            @Override
            public void onError(WebSocketChannel channel, Void context, Throwable throwable) {
                IoUtils.safeClose(channel);
            }
        });
        ch.flush(); // explicit flush is on for our channels
        // an upstream that never answers our close frame must not keep its socket
        ForcedClose.arm(ch);
    }

    private final class Reader extends FlushingReader {
        Reader() {
            super(flusher, maxMessageBytes);
        }

        @Override
        protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage message) {
            events.text(UpstreamLink.this, ch, message.getData());
        }

        @Override
        protected void onFullBinaryMessage(WebSocketChannel ch, BufferedBinaryMessage message) {
            // getData() hands the buffers over once: a second call would find them gone
            events.binary(UpstreamLink.this, ch, message.getData());
        }

        @Override
        protected void onCloseMessage(CloseMessage message, WebSocketChannel ch) {
            closeCode = message.getCode();
            closeReason = message.getReason();
        }
    }

    @Override
    public String toString() {
        return role.name().toLowerCase() + (url == null ? "" : " " + url);
    }
}
