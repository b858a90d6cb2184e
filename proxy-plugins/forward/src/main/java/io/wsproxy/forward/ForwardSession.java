package io.wsproxy.forward;

import io.wsproxy.spi.AccessLogEntry;
import io.wsproxy.spi.ProxySession;
import io.wsproxy.spi.SessionRegistration;
import io.wsproxy.websocket.WebSocketConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection speaking the forward protocol.
 *
 * <p>Its state lives on the client connection's I/O thread, and so do its upstreams: the core dials on the calling
 * I/O thread. Messages are handled as the bytes they arrived as: a request is cut out of the client's text and
 * written to its server, a server's JSON reply is written inside its envelope, each copied once. A slow server
 * delays nobody else because each has its own bounded queue, and each server's messages stay in order.
 */
final class ForwardSession implements ProxySession, UpstreamLink.Events, WebSocketConnection.Listener {
    private static final Logger log = LoggerFactory.getLogger(ForwardSession.class);
    /**
     * The rule's own target (also reached through self urls) may send larger messages than a client: bounded all
     * the same. Forwarded servers are held to {@code maxMessageBytes}, as clients are: a client that stops reading
     * pauses each of its servers only once a message of theirs is in, so it costs up to one message per server.
     */
    static final long MAX_TARGET_MESSAGE_BYTES = 16L << 20;

    private final ForwardContext context;
    private final ForwardOptions options;
    private final WebSocketConnection client;
    private final Executor thread;
    private final ClientSink sink;
    private final ClientMessageParser parser = new ClientMessageParser();
    private final UpstreamLink target;
    private final WebSocketConnection targetConnection;
    private final Map<String, UpstreamLink> upstreams = new HashMap<>();
    private final long startNanos = System.nanoTime();
    private final Runnable resumeClient;
    private long bytesFromClient;
    private long bytesFromUpstreams;
    private long droppedBinary;
    private int forwardedCount;
    /**
     * Self links are not forwarded servers and do not count against {@code maxUpstreams}, but links are keyed by
     * the url as written, and every spelling of a self url (host case, default port, trailing slash) would
     * otherwise open one more connection to the target: they get a bound of their own, the same number.
     */
    private int selfCount;
    private boolean closed;
    private SessionRegistration registration;

    /** @param targetConnection the rule's target, dialled during the handshake; null for a rule without a target */
    ForwardSession(ForwardContext context, WebSocketConnection client, WebSocketConnection targetConnection) {
        this.context = context;
        this.options = context.options();
        this.client = client;
        this.thread = onThreadOf(client);
        this.sink = new ClientSink(client, options.queueBytes());
        this.target = targetConnection == null ? null : newLink(UpstreamLink.Role.TARGET, null);
        this.targetConnection = targetConnection;
        this.resumeClient = client::resumeReceives;
    }

    /** Called on the client connection's I/O thread once the 101 is out. */
    void start() {
        registration = context.services().register(this);
        if (target != null) {
            target.attach(targetConnection);
        }
        client.start(this, options.maxMessageBytes());
    }

    @Override
    public void close(int code, String reason) {
        thread.execute(() -> closeAll(code, reason));
    }

    // ---- client messages, on the session's thread

    @Override
    public void onText(WebSocketConnection from, byte[] data, int length) {
        bytesFromClient += length;
        ClientMessage message = parser.parse(data, length);
        if (message instanceof ClientMessage.Forward f) {
            forward(f.url(), data, f.requestOffset(), f.requestLength());
        } else if (message instanceof ClientMessage.Connect c) {
            connect(c.url());
        } else if (message instanceof ClientMessage.Ping) {
            ping(data, length);
        } else if (message instanceof ClientMessage.Malformed m) {
            reply(Envelopes.error(m.url(), 400, m.reason()));
        } else {
            toTarget(data, length);
        }
    }

    @Override
    public void onBinary(WebSocketConnection from, byte[] data, int length) {
        bytesFromClient += length;
        if (target == null) {
            reply(Envelopes.error(null, 400, "binary messages need a rule target"));
            return;
        }
        target.offerBinary(data, length);
        throttleClientIfTargetLags();
    }

    private void forward(String url, byte[] data, int offset, int length) {
        UpstreamLink link = upstreams.get(url);
        if (link == null) {
            link = open(url, false);
            if (link == null) {
                return;
            }
        }
        if (link.offer(data, offset, length) != UpstreamLink.Offer.ACCEPTED) {
            reply(Envelopes.error(url, 503, "send queue full for " + url));
        }
    }
    private void connect(String url) {
        if (upstreams.containsKey(url)) {
            reply(Envelopes.connectResponse(false));
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
            reply(Envelopes.error(url, 400, e.getMessage()));
            return null;
        }
        boolean self = options.isSelf(parsed);
        int refusal = !options.allows(parsed) ? 403
                : (self ? selfCount : forwardedCount) >= options.maxUpstreams() ? 429
                : 0;
        if (refusal != 0) {
            reply(forConnect ? Envelopes.connectResponse(false)
                    : Envelopes.error(url, refusal, refusal == 403 ? "url not allowed: " + url
                            : "too many upstreams for this connection (at most " + options.maxUpstreams() + ")"));
            return null;
        }
        CompletionStage<WebSocketConnection> dial;
        try {
            dial = self
                    ? context.services().dialWebSocket(context.targetUri(), context.targetHandshakeHeaders(),
                            options.connectTimeout())
                    : context.services().dialWebSocket(parsed.dialUri(), context.forwardedHandshakeHeaders(parsed),
                            options.connectTimeout());
        } catch (RuntimeException e) {
            // UpstreamUrl lets through what it knows to be dialable; anything else it missed ends here, not the session
            log.warn("rule {}: dialling {} failed before it began", context.rule().name(), url, e);
            reply(forConnect ? Envelopes.connectResponse(false) : Envelopes.error(url, 400, "url cannot be dialled"));
            return null;
        }
        UpstreamLink link = newLink(self ? UpstreamLink.Role.SELF : UpstreamLink.Role.FORWARDED, url);
        upstreams.put(url, link);
        if (self) {
            selfCount++;
        } else {
            forwardedCount++;
        }
        link.dialing(dial);
        return link;
    }

    private void ping(byte[] data, int length) {
        if (target != null) {
            toTarget(data, length);
        }
        for (UpstreamLink link : upstreams.values()) {
            if (link.isOpen()) {
                // a full queue already tells that server is behind; a ping more would not help
                link.offer(data, 0, length);
            }
        }
    }

    private void toTarget(byte[] data, int length) {
        if (target == null) {
            reply(Envelopes.error(null, 400, "this rule has no target: only forward, connect and ping are accepted"));
            return;
        }
        target.offer(data, 0, length);
        throttleClientIfTargetLags();
    }

    /** The rule's own target is the one upstream that slows the client down rather than refusing messages. */
    private void throttleClientIfTargetLags() {
        if (target.overLimit()) {
            client.suspendReceives();
            target.whenDrained(resumeClient);
        }
    }

    /**
     * The proxy's own answers (errors, connect responses, events) are the one thing a client can make it queue
     * without reading, message after message: a client that lets them pile up past twice its queue is closed.
     */
    private void reply(String text) {
        if (!sink.reply(text)) {
            closeAll(CloseCodes.POLICY_VIOLATION, "client does not read the proxy's replies");
        }
    }

    // ---- upstream events

    @Override
    public void opened(UpstreamLink link) {
        for (int n = link.takeConnectRequests(); n > 0; n--) {
            reply(Envelopes.connectResponse(true));
        }
    }

    @Override
    public void dialFailed(UpstreamLink link, int status, String message, int unsent) {
        forget(link);
        if (closed) {
            return;
        }
        for (int n = link.takeConnectRequests(); n > 0; n--) {
            reply(Envelopes.connectResponse(false));
        }
        String text = (status == 504 ? "connect timeout: " : "unreachable: ") + message;
        for (int n = unsent; n > 0; n--) {
            reply(Envelopes.error(link.url(), status, text));
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
            reply(Envelopes.disconnected(link.url()));
        }
    }

    @Override
    public void text(UpstreamLink link, byte[] data, int length) {
        bytesFromUpstreams += length;
        if (link.role() == UpstreamLink.Role.TARGET) {
            sink.send(data, length);
        } else if (Envelopes.isJson(data, length)) {
            sink.sendWrapped(link.wrapPrefixBytes(), data, length);
        } else {
            sink.send(Envelopes.wrapAsString(link.wrapPrefix(), new String(data, 0, length, StandardCharsets.UTF_8)));
        }
        sink.pauseIfOverloaded(link);
    }

    @Override
    public void binary(UpstreamLink link, byte[] data, int length) {
        bytesFromUpstreams += length;
        if (link.role() == UpstreamLink.Role.TARGET) {
            sink.sendBinary(data, length);
            sink.pauseIfOverloaded(link);
        } else {
            // the envelope protocol is text: a server's binary frame has no place in it
            droppedBinary++;
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

    @Override
    public void onClosed(WebSocketConnection from, int code, String reason) {
        // only now, with the client's socket closed: shutdown waits for the 1001 queued behind what it has to read
        registration.close();
        if (closed) {
            return;
        }
        closed = true;
        closeUpstreams(CloseCodes.sendable(code, false), reason);
        finish(code, "client");
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
        client.close(code, reason);
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
        if (droppedBinary > 0) {
            log.info("{}: dropped {} binary messages from forwarded servers (the envelope protocol is text)",
                    this, droppedBinary);
        }
        String targetAddress = targetConnection == null ? "-" : AccessLogEntry.address(targetConnection.peerAddress());
        context.services().accessLog(new AccessLogEntry(context.rule().name(),
                AccessLogEntry.address(context.clientAddress()),
                context.targetUri() == null ? "(forward hub)" : context.targetUri().toString(),
                Duration.ofNanos(System.nanoTime() - startNanos), bytesFromClient, bytesFromUpstreams,
                code, closedBy, targetAddress));
    }

    /** The client connection's I/O thread; a task refused because the worker is stopping dies with its channels. */
    private static Executor onThreadOf(WebSocketConnection client) {
        Executor io = client.ioThread();
        return task -> {
            try {
                io.execute(task);
            } catch (RejectedExecutionException stopping) {
                // the server is shutting down: every channel of this session is being closed with it
            }
        };
    }

    private UpstreamLink newLink(UpstreamLink.Role role, String url) {
        long maxMessageBytes = role == UpstreamLink.Role.FORWARDED
                ? options.maxMessageBytes() : MAX_TARGET_MESSAGE_BYTES;
        return new UpstreamLink(role, url, options.queueBytes(), maxMessageBytes, thread, this);
    }

    @Override
    public String toString() {
        return "forward session of rule " + context.rule().name() + " for " + context.clientAddress();
    }
}
