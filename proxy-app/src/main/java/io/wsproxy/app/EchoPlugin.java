package io.wsproxy.app;

import io.wsproxy.spi.HandshakeResult;
import io.wsproxy.spi.InvalidOptionsException;
import io.wsproxy.spi.OptionsReader;
import io.wsproxy.spi.ProxyPlugin;
import io.wsproxy.spi.RuleInfo;
import io.wsproxy.spi.UpgradeRequest;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The built-in {@code echo} plugin: it answers the upgrade itself and sends every message back, so the default
 * rules do something visible with no other service running. It needs no target. Option: {@code maxMessageBytes}
 * (default 1MiB; a longer message closes the WebSocket with 1009).
 */
public final class EchoPlugin implements ProxyPlugin {
    static final long DEFAULT_MAX_MESSAGE = 1 << 20;

    record Options(long maxMessageBytes) {
    }

    @Override
    public String name() {
        return "echo";
    }

    @Override
    public Object parseOptions(RuleInfo rule, Map<String, Object> options) throws InvalidOptionsException {
        OptionsReader reader = new OptionsReader(options);
        long maxMessage = reader.bytes("maxMessageBytes", DEFAULT_MAX_MESSAGE, 1);
        reader.rejectUnknown(name());
        return new Options(maxMessage);
    }

    @Override
    public CompletionStage<HandshakeResult> handshake(UpgradeRequest request) {
        Options options = (Options) request.options();
        return CompletableFuture.completedFuture(new HandshakeResult.Accept(Map.of(),
                client -> EchoSession.start(client, request, options.maxMessageBytes())));
    }

    @Override
    public String toString() {
        return "EchoPlugin[built-in]";
    }
}
