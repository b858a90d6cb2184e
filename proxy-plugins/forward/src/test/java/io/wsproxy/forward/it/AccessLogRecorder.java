package io.wsproxy.forward.it;

import io.undertow.connector.ByteBufferPool;
import io.undertow.util.HeaderMap;
import io.undertow.websockets.core.WebSocketChannel;
import io.wsproxy.spi.AccessLogEntry;
import io.wsproxy.spi.HandshakeResult;
import io.wsproxy.spi.InvalidOptionsException;
import io.wsproxy.spi.ProxyPlugin;
import io.wsproxy.spi.ProxyServices;
import io.wsproxy.spi.ProxySession;
import io.wsproxy.spi.RawUpgrade;
import io.wsproxy.spi.RuleInfo;
import io.wsproxy.spi.SessionRegistration;
import io.wsproxy.spi.UpgradeRequest;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.xnio.StreamConnection;
import org.xnio.XnioWorker;

/**
 * A plugin that is another plugin with its access-log entries recorded on the way to the core's log: the core
 * has no hook to read its {@code wsproxy.access} lines back, so the test stands between the plugin and the core.
 */
final class AccessLogRecorder implements ProxyPlugin {
    private final ProxyPlugin plugin;
    private final BlockingQueue<AccessLogEntry> entries = new LinkedBlockingQueue<>();

    AccessLogRecorder(ProxyPlugin plugin) {
        this.plugin = plugin;
    }

    AccessLogEntry next() throws InterruptedException {
        AccessLogEntry entry = entries.poll(5, TimeUnit.SECONDS);
        if (entry == null) {
            throw new AssertionError("no access-log entry was written");
        }
        return entry;
    }

    @Override
    public String name() {
        return plugin.name();
    }

    @Override
    public Object parseOptions(RuleInfo rule, Map<String, Object> options) throws InvalidOptionsException {
        return plugin.parseOptions(rule, options);
    }

    @Override
    public CompletionStage<HandshakeResult> handshake(UpgradeRequest request) {
        ProxyServices services = new Services(request.services());
        return plugin.handshake(new UpgradeRequest() {
            @Override
            public RuleInfo rule() {
                return request.rule();
            }

            @Override
            public Object options() {
                return request.options();
            }

            @Override
            public URI upstreamUri() {
                return request.upstreamUri();
            }

            @Override
            public HeaderMap clientHeaders() {
                return request.clientHeaders();
            }

            @Override
            public HeaderMap upstreamHeaders() {
                return request.upstreamHeaders();
            }

            @Override
            public InetSocketAddress clientAddress() {
                return request.clientAddress();
            }

            @Override
            public String requestUri() {
                return request.requestUri();
            }

            @Override
            public ProxyServices services() {
                return services;
            }
        });
    }

    private final class Services implements ProxyServices {
        private final ProxyServices core;

        Services(ProxyServices core) {
            this.core = core;
        }

        @Override
        public XnioWorker worker() {
            return core.worker();
        }

        @Override
        public ByteBufferPool bufferPool() {
            return core.bufferPool();
        }

        @Override
        public CompletionStage<RawUpgrade> dialRaw(URI uri, HeaderMap headers, Duration timeout) {
            return core.dialRaw(uri, headers, timeout);
        }

        @Override
        public CompletionStage<WebSocketChannel> dialWebSocket(URI uri, HeaderMap headers, Duration timeout) {
            return core.dialWebSocket(uri, headers, timeout);
        }

        @Override
        public WebSocketChannel serverChannel(StreamConnection client, String subprotocol) {
            return core.serverChannel(client, subprotocol);
        }

        @Override
        public void accessLog(AccessLogEntry entry) {
            core.accessLog(entry);
            entries.add(entry);
        }

        @Override
        public SessionRegistration register(ProxySession session) {
            return core.register(session);
        }
    }
}
