package io.wsproxy.app;

import io.wsproxy.testing.WsClient;
import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The real {@code main} in its own JVM: SIGTERM runs the shutdown hook, which closes open WebSockets with 1001. */
@Timeout(60)
class SigtermTest {
    private static final Pattern LISTENING = Pattern.compile("listening on \\S+:(\\d+)");

    @TempDir
    Path dir;

    @Test
    void sigtermClosesOpenWebSocketsWith1001AndExits() throws Exception {
        Path rules = TestPlugins.rules(dir, "rules.yaml", """
                server: { host: 127.0.0.1 }
                rules:
                  - name: echo
                    pattern: "^/echo$"
                    plugin: echo
                """);
        Path plugins = TestPlugins.pluginsFolder(dir);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                "io.wsproxy.app.Main", "--config", rules.toString(), "--plugins", plugins.toString(), "--port", "0"))
                .redirectErrorStream(true)
                .start();
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        CompletableFuture.runAsync(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (Exception e) {
                lines.add("read failed: " + e);
            }
        });
        try {
            int port = Integer.parseInt(awaitLine(lines, LISTENING).group(1));
            WsClient client = WsClient.connect(URI.create("ws://127.0.0.1:" + port + "/echo"));
            client.sendText("before shutdown");
            assertEquals("before shutdown", client.nextText());

            process.destroy(); // SIGTERM on Unix

            WsClient.Close close = client.awaitClose();
                assertEquals(1001, close.code());
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the JVM exits after the shutdown hook");
            assertEquals(128 + 15, process.exitValue(), "the JVM's status for an exit on SIGTERM");
        } finally {
            process.destroyForcibly();
        }
    }

    private static Matcher awaitLine(LinkedBlockingQueue<String> lines, Pattern pattern) throws InterruptedException {
        StringBuilder seen = new StringBuilder();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < end) {
            String line = lines.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (line == null) {
                break;
            }
            seen.append(line).append('\n');
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                return m;
            }
        }
        throw new AssertionError("no line matching " + pattern + " in the output:\n" + seen);
    }
}
