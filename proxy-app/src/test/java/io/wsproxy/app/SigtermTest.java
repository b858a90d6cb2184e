package io.wsproxy.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wsproxy.testing.WsClient;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The real {@code main} in its own JVM: SIGTERM runs the shutdown hook, which closes open WebSockets with 1001. */
@Timeout(60)
class SigtermTest {
    @TempDir
    Path dir;

    @Test
    void sigtermClosesOpenWebSocketsWith1001AndExits() throws Exception {
        try (ChildProxy proxy = ChildProxy.startEcho(dir, null)) {
            int port = proxy.awaitPort();
            WsClient client = WsClient.connect(URI.create("ws://127.0.0.1:" + port + "/echo"));
            client.sendText("before shutdown");
            assertEquals("before shutdown", client.nextText());

            proxy.process.destroy(); // SIGTERM on Unix

            WsClient.Close close = client.awaitClose();
            assertEquals(1001, close.code());
            assertTrue(proxy.process.waitFor(20, TimeUnit.SECONDS), "the JVM exits after the shutdown hook");
            assertEquals(128 + 15, proxy.process.exitValue(), "the JVM's status for an exit on SIGTERM");
        }
    }
}
