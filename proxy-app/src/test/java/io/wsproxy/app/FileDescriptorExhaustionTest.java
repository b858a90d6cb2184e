package io.wsproxy.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wsproxy.testing.WsClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Out of file descriptors, accept() fails while the connection waits in the backlog, so a listener that kept
 * trying would spin: the proxy (in a JVM of its own, under a low {@code ulimit -n}) pauses accepting instead,
 * says so, and serves again once descriptors are free.
 */
@Timeout(90)
class FileDescriptorExhaustionTest {
    private static final Pattern PAUSING = Pattern.compile("accepting on \\S+ failed \\((.*)\\); pausing accepts");
    /** Far more than the child's limit leaves free, far fewer than the test JVM may open. */
    private static final int IDLE_CONNECTIONS = 400;

    @TempDir
    Path dir;

    @Test
    void acceptPausesWhenOutOfDescriptorsAndResumesWhenTheyAreFree() throws Exception {
        try (ChildProxy proxy = ChildProxy.startEcho(dir, "ulimit -n 256")) {
            int port = proxy.awaitPort();
            List<Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < IDLE_CONNECTIONS; i++) {
                    Socket socket = new Socket();
                    idle.add(socket);
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                }
                String reason = proxy.awaitLine(PAUSING, TimeUnit.SECONDS.toNanos(20)).group(1);
                assertTrue(reason.contains("Too many open files"), reason);
                // a listener that did not pause would log this thousands of times a second
                int pauses = 1;
                long oneSecond = TimeUnit.SECONDS.toNanos(1);
                long end = System.nanoTime() + oneSecond;
                while (proxy.nextLine(PAUSING, end - System.nanoTime()) != null) {
                    pauses++;
                }
                assertTrue(pauses <= 2 * 2 * (1000 / 100), pauses + " pauses in a second on 2 threads:\n" + proxy.output());
            } finally {
                for (Socket socket : idle) {
                    closeQuietly(socket);
                }
            }
            WsClient client = WsClient.connect(URI.create("ws://127.0.0.1:" + port + "/echo"));
            client.sendText("served again");
            assertEquals("served again", client.nextText());
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a test's own socket: nothing to report
        }
    }
}
