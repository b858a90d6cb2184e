package io.wsproxy.spi;

import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.pf4j.ExtensionPoint;

/**
 * A WebSocket plugin: what a rule's {@code plugin:} names. One instance serves every rule that names it,
 * so per-rule state belongs in the options object {@link #parseOptions} returns.
 */
public interface ProxyPlugin extends ExtensionPoint {

    /** The name rules use in {@code plugin:}. */
    String name();

    /**
     * Validates a rule's {@code options:} once, at load, and returns the plugin's own immutable view of them,
     * handed back as {@link UpgradeRequest#options()}. {@link OptionsReader} is the one way to read them.
     *
     * @throws InvalidOptionsException naming the option that is wrong; start-up fails with it
     */
    Object parseOptions(RuleInfo rule, Map<String, Object> options) throws InvalidOptionsException;

    /**
     * Handles one upgrade request on the I/O thread: it must not block. The stage completes with
     * {@link HandshakeResult.Accept} (the core then answers 101) or {@link HandshakeResult.Reject}; completing
     * exceptionally answers 500.
     */
    CompletionStage<HandshakeResult> handshake(UpgradeRequest request);
}
