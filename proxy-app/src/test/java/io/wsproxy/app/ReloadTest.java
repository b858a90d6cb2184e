package io.wsproxy.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wsproxy.testing.RawHttp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code kill -HUP} on the real process: the rules file is read again; a broken one changes nothing. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReloadTest {
    private static final long WAIT = TimeUnit.SECONDS.toNanos(20);

    @Test
    void sighupReloadsTheRulesAndABrokenFileKeepsTheRunningOnes(@TempDir Path dir) throws Exception {
        try (ChildProxy proxy = ChildProxy.start(dir, rules("/first", "echo"))) {
            int port = proxy.awaitPort();
            assertEquals(426, status(port, "/first")); // the echo rule: WebSocket upgrades only
            assertEquals(404, status(port, "/second"));

            Files.writeString(dir.resolve("rules.yaml"), rules("/second", "echo"));
            hangUp(proxy);
            proxy.awaitLine(Pattern.compile("reloaded .*rules\\.yaml: 1 rules"), WAIT);
            assertEquals(404, status(port, "/first"));
            assertEquals(426, status(port, "/second"));

            Files.writeString(dir.resolve("rules.yaml"), rules("/third", "nosuch")); // valid YAML, unknown plugin
            hangUp(proxy);
            proxy.awaitLine(Pattern.compile("reload refused, still serving the rules loaded before: .*rules\\.yaml:"
                    + "\\d+: .*nosuch"), WAIT);
            assertEquals(426, status(port, "/second"));
            assertEquals(404, status(port, "/third"));
        }
    }

    @Test
    void aProxyStartedWithSighupIgnoredSaysThatItCannotReload(@TempDir Path dir) throws Exception {
        // as nohup starts it: the JVM then keeps SIGHUP ignored, and a kill -HUP would do nothing without a word
        try (ChildProxy proxy = ChildProxy.startEcho(dir, "trap '' HUP")) {
            proxy.awaitLine(Pattern.compile("SIGHUP is ignored in this process \\(started with nohup\\?\\)"), WAIT);
            proxy.awaitPort();
        }
    }

    private static String rules(String path, String plugin) {
        return """
                server: { host: 127.0.0.1 }
                rules:
                  - name: echo
                    pattern: "^%s$"
                    plugin: %s
                """.formatted(path, plugin);
    }

    private static void hangUp(ChildProxy proxy) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(proxy.process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor());
    }

    private static int status(int port, String path) throws IOException {
        return Integer.parseInt(RawHttp.statusLine(port, path).substring(9, 12));
    }
}
