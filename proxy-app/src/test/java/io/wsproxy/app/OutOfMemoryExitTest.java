package io.wsproxy.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Out of heap, the I/O threads die; without a handler the process would live on holding its port and serving
 * nothing. The proxy (in a JVM of its own with a tiny heap) is held open WebSockets until memory runs out: it
 * must exit with status 3 and say why.
 */
@Timeout(120)
class OutOfMemoryExitTest {
    /** -Xmx8m runs out after several hundred idle WebSockets; far fewer than this bound or the fd limit. */
    private static final int MAX_ATTEMPTS = 20_000;
    /** A proxy whose I/O threads died still takes connections into its backlog: handshakes just time out. */
    private static final int HANDSHAKE_TIMEOUT_MS = 2000;

    @TempDir
    Path dir;

    @Test
    void outOfHeapTheProxyExitsWithStatus3() throws Exception {
        try (ChildProxy proxy = ChildProxy.startEcho(dir, null, "-Xmx8m")) {
            int port = proxy.awaitPort();
            List<Socket> held = new ArrayList<>();
            try {
                int failedInARow = 0;
                for (int i = 0; i < MAX_ATTEMPTS && failedInARow < 3 && proxy.process.isAlive(); i++) {
                    Socket upgraded = upgrade(port);
                    if (upgraded == null) {
                        failedInARow++;
                    } else {
                        held.add(upgraded);
                        failedInARow = 0;
                    }
                }
                assertTrue(proxy.process.waitFor(15, TimeUnit.SECONDS),
                        "still running with " + held.size() + " WebSockets open:\n" + proxy.output());
                assertEquals(OutOfMemoryExit.STATUS, proxy.process.exitValue(), proxy.output());
                proxy.awaitLine(Pattern.compile("wsproxy: out of memory, exiting"), TimeUnit.SECONDS.toNanos(10));
            } finally {
                for (Socket socket : held) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void anyOtherUncaughtExceptionIsLoggedAndTheProcessGoesOn() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        // were this to halt, the test JVM would end here and the run would fail
        new OutOfMemoryExit(new PrintStream(err)).uncaughtException(Thread.currentThread(),
                new IllegalStateException("a plugin's bug"));
        assertEquals(0, err.size());
    }

    /** A WebSocket handshake to {@code /echo} on a plain socket, left open; null when the proxy does not answer 101. */
    private static Socket upgrade(int port) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", port), HANDSHAKE_TIMEOUT_MS);
            socket.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
            socket.getOutputStream().write(("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            if (statusLine(socket.getInputStream()).startsWith("HTTP/1.1 101")) {
                return socket;
            }
        } catch (IOException refusedOrReset) {
            // the proxy is failing or gone: the caller checks whether it exited
        }
        socket.close();
        return null;
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) != -1 && c != '\n'; ) {
            line.append((char) c);
        }
        return line.toString();
    }
}
