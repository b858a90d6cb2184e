package io.wsproxy.spi;

import io.undertow.util.HeaderMap;
import java.net.InetSocketAddress;
import java.net.URI;

/** One WebSocket upgrade request matched to a rule, with everything the core already worked out for it. */
public interface UpgradeRequest {

    RuleInfo rule();

    /** What {@link ProxyPlugin#parseOptions} returned for this rule. */
    Object options();

    /**
     * The upstream URI: the rule's target (scheme ws or wss) with the rewritten path and the client's query,
     * or null for a rule without a target.
     */
    URI upstreamUri();

    /** The client's request headers, untouched. */
    HeaderMap clientHeaders();

    /**
     * The headers to send upstream: the client's end-to-end headers (its {@code Sec-WebSocket-Protocol} offer
     * among them) without hop-by-hop and handshake-mechanics headers ({@code Sec-WebSocket-Key},
     * {@code -Version}, {@code -Extensions}), with {@code changeOrigin}, the rule's headers and
     * {@code X-Forwarded-*} applied. A fresh copy each call: the caller may change it.
     */
    HeaderMap upstreamHeaders();

    InetSocketAddress clientAddress();

    /** The path and query the client asked for, for logs. */
    String requestUri();

    ProxyServices services();

    /**
     * Runs {@code action} once, on the client's I/O thread, if the client goes (closes or resets its connection)
     * before the handshake's answer: a plugin still dialling its upstream cancels that dial here (cancelling a stage
     * {@link ProxyServices} returned closes whatever it had opened), as nginx gives up an upstream connect when the
     * client goes. Run at once when the client is already gone; never after the answer. Without it a dial runs to
     * its end, within its timeout, for a client that is no longer there.
     */
    default void whenClientLeaves(Runnable action) {
    }
}
