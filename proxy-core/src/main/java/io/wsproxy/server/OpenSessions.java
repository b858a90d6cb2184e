package io.wsproxy.server;

import io.wsproxy.spi.ProxySession;
import io.wsproxy.spi.SessionRegistration;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/** The WebSocket sessions open right now, so that shutdown can close each with 1001 and wait for them. */
final class OpenSessions {
    private final Set<ProxySession> sessions = ConcurrentHashMap.newKeySet();
    /** Set when shutdown begins. Only shutdown waits; until then a session's end takes no lock. */
    private volatile Closing closing;

    private record Closing(int code, String reason) {
    }

    SessionRegistration add(ProxySession session) {
        sessions.add(session);
        Closing shutdown = closing;
        if (shutdown != null) {
            // upgraded while shutdown waits (its handshake was under way when it began): closed as the others were,
            // or it would hold the stop for the whole grace and then lose its socket without a close frame
            try {
                session.close(shutdown.code(), shutdown.reason());
            } catch (RejectedExecutionException stopping) {
                // the worker is stopping and closes every channel itself
            }
        }
        return () -> {
            sessions.remove(session);
            if (closing != null) {
                synchronized (this) {
                    notifyAll();
                }
            }
        };
    }

    int count() {
        return sessions.size();
    }

    /** Asks every session to close with {@code code}, then waits up to {@code grace} for them to finish. */
    boolean closeAll(int code, String reason, Duration grace) throws InterruptedException {
        closing = new Closing(code, reason);
        for (ProxySession session : sessions.toArray(ProxySession[]::new)) {
            session.close(code, reason);
        }
        long end = System.nanoTime() + grace.toNanos();
        synchronized (this) {
            while (!sessions.isEmpty()) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
        return true;
    }
}
