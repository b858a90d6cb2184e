package io.wsproxy.forward;

import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.wsproxy.spi.ProxyServices;
import io.wsproxy.spi.RuleInfo;
import io.wsproxy.spi.UpgradeRequest;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;

/** What a session keeps from its upgrade request: where the target is and what every upstream handshake carries. */
record ForwardContext(
        RuleInfo rule,
        ForwardOptions options,
        ProxyServices services,
        URI targetUri,
        HeaderMap targetHeaders,
        String clientOrigin,
        InetSocketAddress clientAddress) {

    static ForwardContext of(UpgradeRequest request) {
        return new ForwardContext(request.rule(), (ForwardOptions) request.options(), request.services(),
                request.upstreamUri(), request.upstreamHeaders(), request.clientHeaders().getFirst(Headers.ORIGIN),
                request.clientAddress());
    }

    /** A fresh copy per dial: dialers add their own handshake headers. */
    HeaderMap targetHandshakeHeaders() {
        HeaderMap copy = new HeaderMap();
        for (HeaderValues values : targetHeaders) {
            copy.putAll(values.getHeaderName(), values);
        }
        return copy;
    }

    /**
     * A forwarded server gets the rule's headers, an {@code Origin} ({@code changeOrigin}: the server's own) and the
     * {@code Via} the target would (so that a url leading back to this rule is refused as the loop it is), but not
     * the client's cookies, credentials or address: those were meant for this rule, not for third parties.
     */
    HeaderMap forwardedHandshakeHeaders(UpstreamUrl url) {
        HeaderMap headers = new HeaderMap();
        if (clientOrigin != null) {
            headers.put(Headers.ORIGIN, rule.changeOrigin() ? url.origin() : clientOrigin);
        }
        HeaderValues via = targetHeaders.get(Headers.VIA);
        if (via != null) {
            headers.putAll(Headers.VIA, via);
        }
        for (Map.Entry<String, String> header : rule.headers().entrySet()) {
            headers.put(new HttpString(header.getKey()), header.getValue());
        }
        return headers;
    }
}
