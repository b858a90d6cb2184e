package io.wsproxy.server;

import io.wsproxy.spi.ProxySession;
import io.wsproxy.spi.SessionRegistration;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** The WebSocket sessions open right now, so that shutdown can close each with 1001 and wait for them. */
final class OpenSessions {
    private final Set<ProxySession> sessions = ConcurrentHashMap.newKeySet();
    /** Only shutdown waits; until then a session's end takes no lock. */
    private volatile boolean closing;

    SessionRegistration add(ProxySession session) {
        sessions.add(session);
        return () -> {
            sessions.remove(session);
            if (closing) {
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
        closing = true;
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
