package io.wsproxy.server;

import io.undertow.connector.ByteBufferPool;
import io.undertow.util.HeaderMap;
import io.wsproxy.spi.AccessLogEntry;
import io.wsproxy.spi.ProxyServices;
import io.wsproxy.spi.ProxySession;
import io.wsproxy.spi.RawUpgrade;
import io.wsproxy.spi.SessionRegistration;
import io.wsproxy.upstream.RawUpgradeDialer;
import io.wsproxy.upstream.WebSocketDialer;
import io.wsproxy.websocket.WebSocketConnection;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.xnio.XnioIoThread;
import org.xnio.XnioWorker;

/** The core's side of the plugin API. */
final class CoreServices implements ProxyServices {
    private final XnioWorker worker;
    private final BufferPools bufferPools;
    private final RawUpgradeDialer rawDialer;
    private final WebSocketDialer webSocketDialer;
    private final AccessLog accessLog;
    private final OpenSessions sessions;

    CoreServices(XnioWorker worker, BufferPools bufferPools, RawUpgradeDialer rawDialer,
                 WebSocketDialer webSocketDialer, AccessLog accessLog, OpenSessions sessions) {
        this.worker = worker;
        this.bufferPools = bufferPools;
        this.rawDialer = rawDialer;
        this.webSocketDialer = webSocketDialer;
        this.accessLog = accessLog;
        this.sessions = sessions;
    }

    @Override
    public XnioWorker worker() {
        return worker;
    }

    @Override
    public ByteBufferPool bufferPool() {
        return bufferPools.standard();
    }

    @Override
    public ByteBufferPool bufferPool(int bufferBytes) {
        return bufferPools.of(bufferBytes);
    }

    @Override
    public CompletionStage<RawUpgrade> dialRaw(URI uri, HeaderMap headers, Duration timeout) {
        return rawDialer.upgrade(uri, headers, dialingThread(), timeout);
    }

    @Override
    public CompletionStage<WebSocketConnection> dialWebSocket(URI uri, HeaderMap headers, Duration timeout) {
        return webSocketDialer.dial(uri, headers, dialingThread(), timeout);
    }

    /** The caller's own I/O thread when it is one of ours, so both ends of a session share a thread. */
    private XnioIoThread dialingThread() {
        Thread current = Thread.currentThread();
        return current instanceof XnioIoThread io && io.getWorker() == worker ? io : worker.getIoThread();
    }

    @Override
    public void accessLog(AccessLogEntry entry) {
        accessLog.write(entry);
    }

    @Override
    public SessionRegistration register(ProxySession session) {
        return sessions.add(session);
    }
}
