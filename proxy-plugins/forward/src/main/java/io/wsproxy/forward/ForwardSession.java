package io.wsproxy.forward;

import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.wsproxy.spi.AccessLogEntry;
import io.wsproxy.spi.ProxySession;
import io.wsproxy.spi.SessionRegistration;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.Pooled;

/**
 * One client connection speaking the forward protocol.
 *
 * <p>Its state lives on the client connection's I/O thread. The core dials upstreams on the calling I/O thread,
 * so today every upstream of a session lives on that thread too; events are still moved there explicitly, and
 * the counters that writes settle stay thread-safe, so nothing breaks should an upstream live elsewhere. A slow
 * server delays nobody else because each has its own bounded queue, and each server's messages stay in order.
 */
final class ForwardSession implements ProxySession, UpstreamLink.Events {
    private static final Logger log = LoggerFactory.getLogger(ForwardSession.class);
    /** A server may send larger messages than a client (the target's replies, for one): bounded all the same. */
    static final long MAX_UPSTREAM_MESSAGE_BYTES = 16L << 20;

    private final ForwardContext context;
    private final ForwardOptions options;
    private final WebSocketChannel client;
    private final Executor thread;
    private final ClientSink sink;
    private final ClientMessageParser parser = new ClientMessageParser();
    private final UpstreamLink target;
    private final WebSocketChannel targetChannel;
    private final Map<String, UpstreamLink> upstreams = new HashMap<>();
    private final long startNanos = System.nanoTime();
    private final AtomicLong bytesFromClient = new AtomicLong();
    private final AtomicLong bytesFromUpstreams = new AtomicLong();
    private final AtomicLong droppedBinary = new AtomicLong();
    private int forwardedCount;
    /**
     * Self links are not forwarded servers and do not count against {@code maxUpstreams}, but links are keyed by
     * the url as written, and every spelling of a self url (host case, default port, trailing slash) would
     * otherwise open one more connection to the target: they get a bound of their own, the same number.
     */
    private int selfCount;
    private boolean closed;
    private volatile int clientCloseCode = 1006;
    private volatile String clientCloseReason = "";
    private SessionRegistration registration;
    private final TurnFlusher clientFlusher;

    /** @param targetChannel the rule's target, dialled during the handshake; null for a rule without a target */
    ForwardSession(ForwardContext context, WebSocketChannel client, WebSocketChannel targetChannel) {
        this.context = context;
        this.options = context.options();
        this.client = client;
        this.thread = onThreadOf(client);
        this.clientFlusher = TurnFlusher.install(client);
        this.sink = new ClientSink(client, clientFlusher, options.queueBytes());
        this.target = targetChannel == null ? null : newLink(UpstreamLink.Role.TARGET, null);
        this.targetChannel = targetChannel;
    }

    /** Called on the client connection's I/O thread once the 101 is out. */
    void start() {
        registration = context.services().register(this);
        client.getReceiveSetter().set(new ClientReader());
        client.getCloseSetter().set(ch -> thread.execute(this::clientClosed));
        if (target != null) {
            target.attach(targetChannel);
        }
        client.resumeReceives();
    }

    @Override
    public void close(int code, String reason) {
        thread.execute(() -> closeAll(code, reason));
    }

    // ---- client messages, on the session's thread

    private void clientText(String text) {
        long size = Utf8.length(text);
        bytesFromClient.addAndGet(size);
        ClientMessage message = parser.parse(text);
        if (message instanceof ClientMessage.Forward f) {
            forward(f.url(), f.request());
        } else if (message instanceof ClientMessage.Connect c) {
            connect(c.url());
        } else if (message instanceof ClientMessage.Ping) {
            ping(text, size);
        } else if (message instanceof ClientMessage.Malformed m) {
            sink.send(Envelopes.error(m.url(), 400, m.reason()));
        } else {
            toTarget(text, size);
        }
    }

    private void forward(String url, String request) {
        UpstreamLink link = upstreams.get(url);
        if (link == null) {
            link = open(url, false);
            if (link == null) {
                return;
            }
        }
        if (link.offer(request) != UpstreamLink.Offer.ACCEPTED) {
            sink.send(Envelopes.error(url, 503, "send queue full for " + url));
        }
    }

    private void connect(String url) {
        if (upstreams.containsKey(url)) {
            sink.send(Envelopes.connectResponse(false));
            return;
        }
        UpstreamLink link = open(url, true);
        if (link != null) {
            link.addConnectRequest();
        }
    }

    /** Opens an upstream for {@code url}, or answers the client why not and returns null. */
    private UpstreamLink open(String url, boolean forConnect) {
        UpstreamUrl parsed;
        try {
            parsed = UpstreamUrl.parse(url);
        } catch (IllegalArgumentException e) {
            sink.send(Envelopes.error(url, 400, e.getMessage()));
            return null;
        }
        boolean self = options.isSelf(parsed);
        int refusal = !options.allows(parsed) ? 403
                : (self ? selfCount : forwardedCount) >= options.maxUpstreams() ? 429
                : 0;
        if (refusal != 0) {
            sink.send(forConnect ? Envelopes.connectResponse(false)
                    : Envelopes.error(url, refusal, refusal == 403 ? "url not allowed: " + url
                            : "too many upstreams for this connection (at most " + options.maxUpstreams() + ")"));
            return null;
        }
        UpstreamLink link = newLink(self ? UpstreamLink.Role.SELF : UpstreamLink.Role.FORWARDED, url);
        upstreams.put(url, link);
        if (self) {
            selfCount++;
        } else {
            forwardedCount++;
        }
        link.dialing(self
                ? context.services().dialWebSocket(context.targetUri(), context.targetHandshakeHeaders(),
                        options.connectTimeout())
                : context.services().dialWebSocket(parsed.dialUri(), context.forwardedHandshakeHeaders(parsed),
                        options.connectTimeout()));
        return link;
    }

    private void ping(String text, long size) {
        if (target != null) {
            toTarget(text, size);
        }
        for (UpstreamLink link : upstreams.values()) {
            if (link.isOpen()) {
                // a full queue already tells that server is behind; a ping more would not help
                link.offer(text, size);
            }
        }
    }

    private void toTarget(String text, long size) {
        if (target == null) {
            sink.send(Envelopes.error(null, 400, "this rule has no target: only forward, connect and ping are accepted"));
            return;
        }
        target.offer(text, size);
        throttleClientIfTargetLags();
    }

    /** Takes ownership of {@code data}. */
    private void clientBinary(Pooled<ByteBuffer[]> data) {
        long size = size(data);
        bytesFromClient.addAndGet(size);
        if (target == null) {
            data.free();
            sink.send(Envelopes.error(null, 400, "binary messages need a rule target"));
            return;
        }
        target.offerBinary(data, size);
        throttleClientIfTargetLags();
    }

    /** The rule's own target is the one upstream that slows the client down rather than refusing messages. */
    private void throttleClientIfTargetLags() {
        if (target.overLimit()) {
            client.suspendReceives();
            target.whenDrained(() -> thread.execute(client::resumeReceives));
        }
    }

    // ---- upstream events

    @Override
    public void opened(UpstreamLink link) {
        for (int n = link.takeConnectRequests(); n > 0; n--) {
            sink.send(Envelopes.connectResponse(true));
        }
    }

    @Override
    public void dialFailed(UpstreamLink link, int status, String message, List<String> unsent) {
        forget(link);
        if (closed) {
            return;
        }
        for (int n = link.takeConnectRequests(); n > 0; n--) {
            sink.send(Envelopes.connectResponse(false));
        }
        String text = (status == 504 ? "connect timeout: " : "unreachable: ") + message;
        for (int n = unsent.size(); n > 0; n--) {
            sink.send(Envelopes.error(link.url(), status, text));
        }
    }

    @Override
    public void lost(UpstreamLink link, int code, String reason) {
        if (closed) {
            return;
        }
        if (link.role() == UpstreamLink.Role.TARGET) {
            // as with the relay: the client gets the target's close, and the log says the target ended it
            closeAll(CloseCodes.sendable(code, true), reason, code, "upstream");
            return;
        }
        forget(link);
        if (options.onUpstreamClose() == OnUpstreamClose.CLOSE) {
            closeAll(CloseCodes.BAD_GATEWAY, CloseCodes.upstreamClosed(link.url()));
        } else {
            sink.send(Envelopes.disconnected(link.url()));
        }
    }

    @Override
    public void text(UpstreamLink link, WebSocketChannel from, String text) {
        long size = Utf8.length(text);
        bytesFromUpstreams.addAndGet(size);
        if (link.role() == UpstreamLink.Role.TARGET) {
            sink.send(text, size);
        } else {
            String envelope = Envelopes.wrap(link.wrapPrefix(), text);
            // a JSON message went in as it is, so its size is known; only a quoted one must be measured again
            boolean verbatim = envelope.length() == link.wrapPrefix().length() + text.length() + 1;
            sink.send(envelope, verbatim ? link.wrapPrefixBytes() + size + 1 : Utf8.length(envelope));
        }
        sink.pauseIfOverloaded(from);
    }

    @Override
    public void binary(UpstreamLink link, WebSocketChannel from, Pooled<ByteBuffer[]> data) {
        long size = size(data);
        bytesFromUpstreams.addAndGet(size);
        if (link.role() == UpstreamLink.Role.TARGET) {
            sink.sendBinary(data, size);
            sink.pauseIfOverloaded(from);
        } else {
            // the envelope protocol is text: a server's binary frame has no place in it
            data.free();
            droppedBinary.incrementAndGet();
        }
    }

    // ---- ending

    private void forget(UpstreamLink link) {
        if (upstreams.remove(link.url(), link)) {
            if (link.role() == UpstreamLink.Role.FORWARDED) {
                forwardedCount--;
            } else {
                selfCount--;
            }
        }
    }

    private void clientClosed() {
        if (closed) {
            return;
        }
        closed = true;
        closeUpstreams(CloseCodes.sendable(clientCloseCode, false), clientCloseReason);
        finish(clientCloseCode, "client");
    }

    /** The proxy ends the session: the client gets {@code code}, every upstream is closed. */
    private void closeAll(int code, String reason) {
        closeAll(code, reason, code, "proxy");
    }

    /** @param loggedCode what the side that ended the session sent, for the access log */
    private void closeAll(int code, String reason, int loggedCode, String closedBy) {
        if (closed) {
            return;
        }
        closed = true;
        WebSockets.sendClose(code, CloseCodes.reason(reason), client, null);
        clientFlusher.schedule();
        ForcedClose.arm(client);
        closeUpstreams(CloseCodes.GOING_AWAY, "client connection closed");
        finish(loggedCode, closedBy);
    }

    private void closeUpstreams(int targetCode, String targetReason) {
        if (target != null) {
            target.close(targetCode, targetReason);
        }
        List<UpstreamLink> links = new ArrayList<>(upstreams.values());
        upstreams.clear();
        forwardedCount = 0;
        selfCount = 0;
        for (UpstreamLink link : links) {
            link.close(CloseCodes.GOING_AWAY, "client connection closed");
        }
    }

    private void finish(int code, String closedBy) {
        if (registration != null) {
            registration.close();
        }
        long dropped = droppedBinary.get();
        if (dropped > 0) {
            log.info("{}: dropped {} binary messages from forwarded servers (the envelope protocol is text)",
                    this, dropped);
        }
        context.services().accessLog(new AccessLogEntry(context.rule().name(),
                String.valueOf(context.clientAddress()),
                context.targetUri() == null ? "(forward hub)" : context.targetUri().toString(),
                Duration.ofNanos(System.nanoTime() - startNanos), bytesFromClient.get(), bytesFromUpstreams.get(),
                code, closedBy));
    }

    /** The client connection's I/O thread; a task refused because the worker is stopping dies with its channels. */
    private static Executor onThreadOf(WebSocketChannel client) {
        Executor io = client.getIoThread();
        return task -> {
            try {
                io.execute(task);
            } catch (RejectedExecutionException stopping) {
                // the server is shutting down: every channel of this session is being closed with it
            }
        };
    }

    private UpstreamLink newLink(UpstreamLink.Role role, String url) {
        return new UpstreamLink(role, url, options.queueBytes(), MAX_UPSTREAM_MESSAGE_BYTES, thread, this);
    }

    private static long size(Pooled<ByteBuffer[]> data) {
        long size = 0;
        for (ByteBuffer b : data.getResource()) {
            size += b.remaining();
        }
        return size;
    }

    private final class ClientReader extends FlushingReader {
        ClientReader() {
            super(clientFlusher, options.maxMessageBytes());
        }

        @Override
        protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage message) {
            if (!closed) {
                clientText(message.getData());
            }
        }

        @Override
        protected void onFullBinaryMessage(WebSocketChannel ch, BufferedBinaryMessage message) {
            // getData() hands the buffers over once: a second call would find them gone
            Pooled<ByteBuffer[]> data = message.getData();
            if (closed) {
                data.free();
            } else {
                clientBinary(data);
            }
        }

        @Override
        protected void onCloseMessage(CloseMessage message, WebSocketChannel ch) {
            clientCloseCode = message.getCode();
            clientCloseReason = message.getReason();
        }
    }

    @Override
    public String toString() {
        return "forward session of rule " + context.rule().name() + " for " + context.clientAddress();
    }
}
