package io.wsproxy.forward.it;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.websockets.client.WebSocketClient;
import io.undertow.websockets.client.WebSocketClientNegotiation;
import io.undertow.websockets.core.WebSocketChannel;
import io.wsproxy.forward.ForwardOptions;
import io.wsproxy.forward.ForwardTestAccess;
import io.wsproxy.spi.AccessLogEntry;
import io.wsproxy.spi.ProxyServices;
import io.wsproxy.spi.ProxySession;
import io.wsproxy.spi.RawUpgrade;
import io.wsproxy.spi.RuleInfo;
import io.wsproxy.spi.SessionRegistration;
import io.wsproxy.spi.UpstreamException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.xnio.IoFuture;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

/**
 * Runs forward sessions behind an Undertow WebSocket endpoint with the smallest {@link ProxyServices} that can dial.
 * A stand-in until the core's server and its test harness land; the behaviour tests do not depend on it.
 */
final class StandInProxy implements AutoCloseable {
    private final XnioWorker worker;
    private final ByteBufferPool pool = new DefaultByteBufferPool(false, 16 * 1024);
    private final Undertow server;
    private final AtomicInteger accepted = new AtomicInteger();
    final List<AccessLogEntry> accessLog = new CopyOnWriteArrayList<>();

    StandInProxy(RuleInfo rule, Map<String, Object> options) throws Exception {
        worker = Xnio.getInstance().createWorker(OptionMap.create(Options.WORKER_IO_THREADS, 2));
        ForwardOptions parsed = ForwardOptions.parse(rule, options);
        Services services = new Services();
        URI target = rule.target();
        server = Undertow.builder()
                .addHttpListener(0, "127.0.0.1")
                .setHandler(Handlers.websocket((exchange, client) -> {
                    accepted.incrementAndGet();
                    if (target == null) {
                        ForwardTestAccess.startSession(rule, parsed, services, null, new HeaderMap(), client, null);
                        return;
                    }
                    HeaderMap headers = new HeaderMap();
                    services.dialWebSocket(target, headers, parsed.connectTimeout()).whenComplete((ch, error) -> {
                        if (error != null) {
                            org.xnio.IoUtils.safeClose(client);
                            return;
                        }
                        client.getIoThread().execute(() -> ForwardTestAccess.startSession(rule, parsed, services,
                                target, headers, client, ch));
                    });
                }))
                .build();
        server.start();
    }

    String url() {
        InetSocketAddress address = (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
        return "ws://127.0.0.1:" + address.getPort() + "/";
    }

    int acceptedConnections() {
        return accepted.get();
    }

    @Override
    public void close() throws Exception {
        server.stop();
        worker.shutdownNow();
        worker.awaitTermination(5, TimeUnit.SECONDS);
    }

    private final class Services implements ProxyServices {
        @Override
        public XnioWorker worker() {
            return worker;
        }

        @Override
        public ByteBufferPool bufferPool() {
            return pool;
        }

        @Override
        public CompletionStage<RawUpgrade> dialRaw(URI uri, HeaderMap headers, Duration timeout) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletionStage<WebSocketChannel> dialWebSocket(URI uri, HeaderMap headers, Duration timeout) {
            CompletableFuture<WebSocketChannel> result = new CompletableFuture<>();
            IoFuture<WebSocketChannel> future = WebSocketClient.connectionBuilder(worker, pool, uri)
                    .setClientNegotiation(new WebSocketClientNegotiation(List.of(), List.of()) {
                        @Override
                        public void beforeRequest(Map<String, List<String>> request) {
                            for (HeaderValues values : headers) {
                                request.put(values.getHeaderName().toString(), new ArrayList<>(values));
                            }
                        }
                    })
                    .connect();
            worker.getIoThread().executeAfter(() -> {
                if (result.completeExceptionally(new UpstreamException(504, "timed out dialling " + uri, null))) {
                    future.cancel();
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            future.addNotifier(new IoFuture.HandlingNotifier<WebSocketChannel, Void>() {
                @Override
                public void handleDone(WebSocketChannel channel, Void attachment) {
                    if (!result.complete(channel)) {
                        org.xnio.IoUtils.safeClose(channel);
                    }
                }

                @Override
                public void handleFailed(java.io.IOException exception, Void attachment) {
                    result.completeExceptionally(new UpstreamException(502, exception.getMessage(), exception));
                }
            }, null);
            return result;
        }

        @Override
        public WebSocketChannel serverChannel(StreamConnection client, String subprotocol) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void accessLog(AccessLogEntry entry) {
            accessLog.add(entry);
        }

        @Override
        public SessionRegistration register(ProxySession session) {
            return () -> { };
        }
    }
}
