package io.wsproxy.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wsproxy.testing.ClosedPort;
import io.wsproxy.testing.RawHttp;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real process with a stderr nobody reads: its access and error lines fill the pipe within a few hundred
 * requests, and the proxy must go on answering (it used to stop answering altogether, every I/O thread blocked in
 * a log line).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StalledStderrTest {
    /** Two log lines of some 150 bytes each per request: several times the 64 KiB a pipe holds. */
    private static final int REQUESTS = 1500;

    @Test
    void aStderrNobodyReadsDoesNotStopTheProxy(@TempDir Path dir) throws Exception {
        int closedPort = ClosedPort.next();
        try (ChildProxy proxy = ChildProxy.start(dir, """
                server: { host: 127.0.0.1 }
                rules:
                  - name: gone
                    pattern: "^/"
                    target: "http://127.0.0.1:%d"
                    ws: false
                """.formatted(closedPort))) {
            int port = proxy.awaitPort();
            proxy.stopReading();
            for (int i = 0; i < REQUESTS; i++) {
                String answer = RawHttp.statusLine(port, "/request-" + i);
                assertTrue(answer.startsWith("HTTP/1.1 502 "), "request " + i + ": " + answer);
            }
        }
    }
}
