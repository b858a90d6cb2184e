package io.wsproxy.forward;

import io.wsproxy.spi.HandshakeResult;
import io.wsproxy.spi.InvalidOptionsException;
import io.wsproxy.spi.ProxyPlugin;
import io.wsproxy.spi.RuleInfo;
import io.wsproxy.spi.UpgradeListener;
import io.wsproxy.spi.UpgradeRequest;
import io.wsproxy.websocket.WebSocketConnection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.pf4j.Extension;
import org.xnio.StreamConnection;

/**
 * {@code plugin: forward}: one client WebSocket reaches many servers through JSON forward envelopes, and its other
 * messages go to the rule's target as with the relay.
 */
@Extension
public class ForwardPlugin implements ProxyPlugin {
    public static final String NAME = "forward";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Object parseOptions(RuleInfo rule, Map<String, Object> options) throws InvalidOptionsException {
        return ForwardOptions.parse(rule, options);
    }

    /**
     * A rule with a target dials it first, as the relay does: the client's 101 carries the target's subprotocol,
     * and a target that is down is a 502 now rather than a connection that fails on its first message.
     */
    @Override
    public CompletionStage<HandshakeResult> handshake(UpgradeRequest request) {
        ForwardContext context = ForwardContext.of(request);
        if (context.targetUri() == null) {
            return CompletableFuture.completedFuture(accept(context, null));
        }
        // a failed dial fails the stage with the dialer's UpstreamException: the core answers its 502 or 504
        CompletableFuture<WebSocketConnection> dial = context.services()
                .dialWebSocket(context.targetUri(), context.targetHandshakeHeaders(), context.options().connectTimeout())
                .toCompletableFuture();
        request.whenClientLeaves(() -> dial.cancel(false));
        return dial.thenApply(target -> accept(context, target));
    }

    private static HandshakeResult accept(ForwardContext context, WebSocketConnection target) {
        String subprotocol = target == null ? "" : target.subprotocol();
        Map<String, List<String>> headers = subprotocol.isEmpty()
                ? Map.of()
                : Map.of("Sec-WebSocket-Protocol", List.of(subprotocol));
        return new HandshakeResult.Accept(headers, new UpgradeListener() {
            @Override
            public void upgraded(StreamConnection client) {
                WebSocketConnection connection = WebSocketConnection.server(client, context.services().bufferPool(),
                        subprotocol);
                new ForwardSession(context, connection, target).start();
            }

            @Override
            public void abandoned() {
                if (target != null) {
                    target.abort();
                }
            }
        });
    }

    @Override
    public String toString() {
        return "forward plugin";
    }
}
