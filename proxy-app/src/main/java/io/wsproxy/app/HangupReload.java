package io.wsproxy.app;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * {@code kill -HUP PID} re-reads the rules file, as {@code nginx -s reload} does. Installed before the proxy starts:
 * until a handler of ours is in place the JVM's own runs the shutdown hooks, so a reload sent right after the
 * "listening" line stopped the proxy. One that comes while the proxy starts is kept for when the start ends (the
 * file may have changed after the start read it).
 */
final class HangupReload {
    private static final Logger log = LoggerFactory.getLogger(HangupReload.class);
    /** The running proxy, null while it starts: the caller's, which sets it. */
    private final AtomicReference<ProxyApp> running;
    private final AtomicBoolean whileStarting = new AtomicBoolean();

    private HangupReload(AtomicReference<ProxyApp> running) {
        this.running = running;
    }

    static HangupReload install(AtomicReference<ProxyApp> running) {
        HangupReload reload = new HangupReload(running);
        try {
            SignalHandler before = Signal.handle(new Signal("HUP"), signal -> reload.hangUp());
            if (before == SignalHandler.SIG_IGN) {
                // the JVM leaves a signal ignored at its start ignored, and takes no handler for it
                log.warn("SIGHUP is ignored in this process (started with nohup?): kill -HUP cannot reload the "
                        + "rules; start the proxy without nohup (a service manager, a container, setsid) to reload");
            }
        } catch (IllegalArgumentException e) {
            log.warn("no SIGHUP here ({}): reloading the rules takes a restart", e.getMessage());
        }
        return reload;
    }

    /** The proxy is up ({@code running} set): reloads once now if a SIGHUP came while it started. */
    void started() {
        ProxyApp app = running.get();
        if (whileStarting.getAndSet(false)) {
            app.reload();
        }
    }

    private void hangUp() {
        ProxyApp app = running.get();
        if (app != null) {
            app.reload();
            return;
        }
        whileStarting.set(true);
        // the start may have ended meanwhile and checked the flag before it was set: whoever takes it reloads
        app = running.get();
        if (app != null && whileStarting.getAndSet(false)) {
            app.reload();
        }
    }
}
