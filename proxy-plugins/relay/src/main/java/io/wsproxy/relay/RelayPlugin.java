package io.wsproxy.relay;

import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.wsproxy.routing.HeaderPolicy;
import io.wsproxy.spi.AccessLogEntry;
import io.wsproxy.spi.ByteSizes;
import io.wsproxy.spi.HandshakeResult;
import io.wsproxy.spi.InvalidOptionsException;
import io.wsproxy.spi.OptionsReader;
import io.wsproxy.spi.ProxyPlugin;
import io.wsproxy.spi.RawUpgrade;
import io.wsproxy.spi.RuleInfo;
import io.wsproxy.spi.UpgradeListener;
import io.wsproxy.spi.UpgradeRequest;
import io.wsproxy.spi.UpstreamException;
import io.wsproxy.upstream.WebSocketKeys;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.pf4j.Extension;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;

/**
 * The transparent relay: dials the target with the client's own handshake (key, subprotocols, extensions),
 * answers the client with the target's 101, then splices bytes, reading only frame headers.
 */
@Extension
public final class RelayPlugin implements ProxyPlugin {
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final long DEFAULT_MAX_MESSAGE = ByteSizes.parse("64MiB");
    /**
     * A read or a write of up to 64 KiB: a message of 64 KiB crosses in one of each, not four, at 1.36x the bytes per
     * second of 16 KiB buffers (bench/RESULTS.md). Small messages are read and written as before; an idle connection
     * holds no buffer.
     */
    static final int DEFAULT_BUFFER_SIZE = 64 * 1024;
    static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);
    /** Besides hop-by-hop ones, what describes the target's body: a refusal carries the relay's own text instead. */
    private static final Set<HttpString> NOT_RELAYED = Set.of(Headers.CONTENT_LENGTH, Headers.CONTENT_ENCODING,
            Headers.DATE);

    @Override
    public String name() {
        return "relay";
    }

    @Override
    public Object parseOptions(RuleInfo rule, Map<String, Object> options) throws InvalidOptionsException {
        OptionsReader reader = new OptionsReader(options);
        Duration connectTimeout = reader.duration("connectTimeout", DEFAULT_CONNECT_TIMEOUT);
        long bufferSize = reader.bytes("bufferSize", DEFAULT_BUFFER_SIZE, 0);
        long maxMessage = reader.bytes("maxMessageBytes", DEFAULT_MAX_MESSAGE, 0);
        Duration closeTimeout = reader.duration("closeTimeout", DEFAULT_CLOSE_TIMEOUT);
        reader.rejectUnknown(name());
        if (bufferSize < 1024 || bufferSize > (64 << 20)) {
            throw new InvalidOptionsException("bufferSize", "bufferSize: must be from 1KiB to 64MiB, got " + bufferSize);
        }
        if (rule.target() == null) {
            throw new InvalidOptionsException(null, "the relay plugin needs the rule to have a target");
        }
        return new RelayOptions(connectTimeout, (int) bufferSize, maxMessage, closeTimeout);
    }

    @Override
    public CompletionStage<HandshakeResult> handshake(UpgradeRequest request) {
        RelayOptions options = (RelayOptions) request.options();
        HeaderMap headers = request.upstreamHeaders();
        HeaderMap client = request.clientHeaders();
        // one handshake end to end: the target answers the client's own key and negotiates its own offers
        for (HttpString name : new HttpString[] {Headers.SEC_WEB_SOCKET_KEY, Headers.SEC_WEB_SOCKET_VERSION,
                Headers.SEC_WEB_SOCKET_EXTENSIONS}) {
            HeaderValues values = client.get(name);
            if (values != null) {
                headers.putAll(name, values);
            }
        }
        CompletableFuture<RawUpgrade> dial = request.services()
                .dialRaw(request.upstreamUri(), headers, options.connectTimeout()).toCompletableFuture();
        request.whenClientLeaves(() -> dial.cancel(false));
        return dial.thenApply(answer -> verdict(request, options, answer));
    }

    private HandshakeResult verdict(UpgradeRequest request, RelayOptions options, RawUpgrade answer) {
        if (!answer.upgraded()) {
            // a 1xx or 2xx is no refusal the client could act on, and past 599 no status at all
            int status = answer.status() >= 300 && answer.status() <= 599 ? answer.status() : 502;
            return new HandshakeResult.Reject(status, "upstream " + request.upstreamUri() + " answered "
                    + answer.status() + " " + answer.reason() + "\n", relayedHeaders(answer.headers()));
        }
        StreamConnection upstream = answer.connection();
        // the core answers the client with Upgrade and an accept of its own, so only here can a bad 101 be told
        String problem = WebSocketKeys.answerProblem(
                request.clientHeaders().getFirst(Headers.SEC_WEB_SOCKET_KEY), answer.headers());
        if (problem != null) {
            IoUtils.safeClose(upstream);
            throw new CompletionException(new UpstreamException(502, "upstream " + request.upstreamUri() + " " + problem,
                    null));
        }
        return new HandshakeResult.Accept(relayedHeaders(answer.headers()), new UpgradeListener() {
            @Override
            public void upgraded(StreamConnection clientConnection) {
                new RelaySession(clientConnection, upstream, options, request.services(), request.rule().name(),
                        AccessLogEntry.address(request.clientAddress()), request.upstreamUri().toString()).start();
            }

            @Override
            public void abandoned() {
                IoUtils.safeClose(upstream);
            }
        });
    }

    /**
     * The upstream's answer headers, each value apart (several Set-Cookie stay several), less hop-by-hop ones (also
     * those its Connection names: they were for this hop, a token or a proxy's challenge, not for the client).
     */
    private static Map<String, List<String>> relayedHeaders(HeaderMap upstream) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        Set<HttpString> hopByHop = HeaderPolicy.hopByHopNames(upstream);
        for (HeaderValues values : upstream) {
            if (!hopByHop.contains(values.getHeaderName()) && !NOT_RELAYED.contains(values.getHeaderName())) {
                out.put(values.getHeaderName().toString(), List.copyOf(values));
            }
        }
        return out;
    }
}
