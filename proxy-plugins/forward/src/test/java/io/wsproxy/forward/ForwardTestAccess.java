package io.wsproxy.forward;

import io.undertow.util.HeaderMap;
import io.undertow.websockets.core.WebSocketChannel;
import io.wsproxy.spi.ProxyServices;
import io.wsproxy.spi.RuleInfo;
import java.net.InetSocketAddress;
import java.net.URI;

/** Starts a session on channels a test made, for the stand-in proxy. */
public final class ForwardTestAccess {
    private ForwardTestAccess() {
    }

    public static void startSession(RuleInfo rule, ForwardOptions options, ProxyServices services, URI target,
                                    HeaderMap targetHeaders, WebSocketChannel client, WebSocketChannel targetChannel) {
        ForwardContext context = new ForwardContext(rule, options, services, target, targetHeaders, null,
                new InetSocketAddress("127.0.0.1", 0));
        new ForwardSession(context, client, targetChannel).start();
    }
}
