package io.wsproxy.forward;

import io.undertow.websockets.core.WebSocketChannel;
import java.util.concurrent.TimeUnit;
import org.xnio.IoUtils;
import org.xnio.XnioExecutor;

/**
 * After we send a close frame, the peer has a few seconds to answer it before its socket is closed anyway; a
 * clean close cancels the timer, so a finished session is not kept reachable until it fires.
 */
final class ForcedClose {
    static final long SECONDS = 5;

    private ForcedClose() {
    }

    static void arm(WebSocketChannel channel) {
        XnioExecutor.Key forced = channel.getIoThread().executeAfter(() -> IoUtils.safeClose(channel), SECONDS,
                TimeUnit.SECONDS);
        channel.addCloseTask(closed -> forced.remove());
    }
}
