package io.wsproxy.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wsproxy.testing.RawHttp;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGHUPs in quick succession each get a thread of their own: the rules in use at the end are the file as the last
 * one found it, however long an earlier one takes to read.
 */
@Timeout(30)
class ConcurrentReloadTest {

    @Test
    void anEarlierReloadStillReadingNeverUndoesALaterOne(@TempDir Path dir) throws Exception {
        Path plugins = Files.createDirectory(dir.resolve("plugins")); // echo is built in
        Path rules = TestPlugins.rules(dir, "rules.yaml", rules("/first"));
        try (ProxyApp app = ProxyApp.start(new Arguments(rules, plugins, 0, false, false), plugins)) {
            // the first SIGHUP finds a file that arrives slowly (a FIFO: read until this test writes it)
            Path fifo = dir.resolve("slow.yaml");
            assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "needs mkfifo");
            Files.move(fifo, rules, StandardCopyOption.REPLACE_EXISTING);
            CompletableFuture<Boolean> earlier = CompletableFuture.supplyAsync(app::reload);
            OutputStream slowFile = Files.newOutputStream(rules); // opens once the earlier reload is reading

            // meanwhile the file is edited again and the second SIGHUP comes
            Files.move(TestPlugins.rules(dir, "edited.yaml", rules("/third")), rules,
                    StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            AtomicBoolean laterReloaded = new AtomicBoolean();
            Thread later = new Thread(() -> laterReloaded.set(app.reload()), "SIGHUP handler");
            later.start();
            while (later.isAlive() && later.getState() != Thread.State.BLOCKED) {
                Thread.onSpinWait(); // done, or waiting its turn
            }

            try (slowFile) {
                slowFile.write(rules("/second").getBytes(StandardCharsets.UTF_8));
            }
            assertTrue(earlier.get());
            later.join();
            assertTrue(laterReloaded.get());
            assertEquals(426, status(app.port(), "/third")); // the echo rule: WebSocket upgrades only
            assertEquals(404, status(app.port(), "/second"));
        }
    }

    private static String rules(String path) {
        return """
                server: { host: 127.0.0.1 }
                rules:
                  - name: echo
                    pattern: "^%s$"
                    plugin: echo
                """.formatted(path);
    }

    private static int status(int port, String path) throws IOException {
        return Integer.parseInt(RawHttp.statusLine(port, path).substring(9, 12));
    }
}
