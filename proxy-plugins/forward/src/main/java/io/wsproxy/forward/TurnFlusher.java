package io.wsproxy.forward;

import io.undertow.websockets.core.WebSocketChannel;

/**
 * Writes a channel's queued frames once per turn of its I/O thread instead of once per message. Undertow writes
 * each frame as it is queued, one syscall a message; with explicit flush on, frames wait until asked, so the
 * messages one read produced leave in one write. Every send on the channel must be followed by {@link #schedule()},
 * and so must every receive event (Undertow answers pings and close frames by itself).
 */
final class TurnFlusher implements Runnable {
    private final WebSocketChannel channel;
    private boolean scheduled;

    private TurnFlusher(WebSocketChannel channel) {
        this.channel = channel;
    }

    static TurnFlusher install(WebSocketChannel channel) {
        channel.setRequireExplicitFlush(true);
        return new TurnFlusher(channel);
    }

    /** Flushes when the current turn of the channel's I/O thread ends; from another thread, at once. */
    void schedule() {
        if (Thread.currentThread() != channel.getIoThread()) {
            channel.flush();
        } else if (!scheduled) {
            scheduled = true;
            try {
                channel.getIoThread().execute(this); // from its own thread: queued for after this turn, no wakeup
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                run(); // the worker is shutting down: flush now rather than never
            }
        }
    }

    @Override
    public void run() {
        scheduled = false;
        channel.flush();
    }
}
