package io.wsproxy.app;

import io.wsproxy.testing.WsClient;
import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The command line in-process: real rules files, the real relay jar, real sockets on port 0. */
@Timeout(60)
class MainTest {
    private static final String ECHO_ONLY = """
            server: { host: 127.0.0.1, port: 8080 }
            rules:
              - name: echo
                pattern: "^/echo$"
                plugin: echo
            """;

    @TempDir
    Path dir;
    private final List<ProxyApp> started = new ArrayList<>();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @AfterEach
    void stopAll() {
        started.forEach(ProxyApp::close);
    }

    @Test
    void echoRuleSendsTextAndBinaryBackAndAnswersCloseWithTheSameCode() throws Exception {
        ProxyApp app = start(ECHO_ONLY);
        WsClient client = WsClient.connect(URI.create("ws://127.0.0.1:" + app.port() + "/echo"));

        client.sendText("hello, echo");
        assertEquals("hello, echo", client.nextText());

        byte[] payload = new byte[200_000];
        new Random(7).nextBytes(payload);
        client.sendBinary(payload);
        assertArrayEquals(payload, client.nextBinary());

        client.close(4001, "bye");
        WsClient.Close close = client.awaitClose();
        assertEquals(4001, close.code());
        assertEquals("bye", close.reason());
    }

    @Test
    void echoAnswersManyMessagesInOrder() throws Exception {
        ProxyApp app = start(ECHO_ONLY);
        WsClient client = WsClient.connect(URI.create("ws://127.0.0.1:" + app.port() + "/echo"));
        for (int i = 0; i < 500; i++) {
            client.sendText("m" + i); // the JDK client allows one outstanding send
        }
        for (int i = 0; i < 500; i++) {
            assertEquals("m" + i, client.nextText());
        }
    }

    @Test
    void echoClosesAMessageLongerThanItsLimitWith1009() throws Exception {
        ProxyApp app = start("""
                server: { host: 127.0.0.1 }
                rules:
                  - name: echo
                    pattern: "^/echo$"
                    plugin: echo
                    options: { maxMessageBytes: 1KiB }
                """);
        WsClient client = WsClient.connect(URI.create("ws://127.0.0.1:" + app.port() + "/echo"));
        client.sendText("x".repeat(2048));
        WsClient.Close close = client.awaitClose();
        assertEquals(1009, close.code());
    }

    @Test
    void relayRuleCarriesMessagesToAnotherProxysEchoRule() throws Exception {
        ProxyApp upstream = start(ECHO_ONLY);
        ProxyApp proxy = start("""
                server: { host: 127.0.0.1 }
                rules:
                  - name: relayed
                    pattern: "^/relay/echo$"
                    target: "ws://127.0.0.1:%d"
                    rewrite: /echo
                """.formatted(upstream.port()));
        WsClient client = WsClient.connect(URI.create("ws://127.0.0.1:" + proxy.port() + "/relay/echo"));

        client.sendText("through the relay");
        assertEquals("through the relay", client.nextText());
        client.close(4002, "done");
        WsClient.Close close = client.awaitClose();
        assertEquals(4002, close.code());
        assertEquals("done", close.reason());
    }

    @Test
    void stoppingClosesOpenWebSocketsWith1001() throws Exception {
        ProxyApp app = start(ECHO_ONLY);
        WsClient client = WsClient.connect(URI.create("ws://127.0.0.1:" + app.port() + "/echo"));
        client.sendText("ping");
        assertEquals("ping", client.nextText());

        started.remove(app);
        app.close();

        WsClient.Close close = client.awaitClose();
        assertEquals(1001, close.code());
    }

    @Test
    void unknownPluginFailsStartListingTheLoadedOnes() throws Exception {
        Path rules = TestPlugins.rules(dir, "rules.yaml", """
                rules:
                  - name: chat
                    pattern: ^/chat
                    target: ws://127.0.0.1:1
                    plugin: nope
                """);
        Main.Exit exit = assertThrows(Main.Exit.class, () -> Main.start(args(rules, "--port", "0"), print()));
        assertEquals(1, exit.code);
        assertEquals(rules + ":5: rules (chat).plugin: unknown plugin 'nope'; loaded plugins: echo, relay",
                exit.getMessage());
    }

    @Test
    void aPortAnotherProxyListensOnFailsStartInsteadOfSharingIt() throws Exception {
        ProxyApp first = start(ECHO_ONLY);
        Path rules = TestPlugins.rules(dir, "second.yaml", ECHO_ONLY);
        Main.Exit exit = assertThrows(Main.Exit.class,
                () -> Main.start(args(rules, "--port", String.valueOf(first.port())), print()));
        assertEquals(1, exit.code);
        assertEquals("wsproxy: cannot listen: 127.0.0.1:" + first.port() + ": Address already in use", exit.getMessage());
    }

    @Test
    void aHostNameThatDoesNotResolveFailsStartNamingIt() throws Exception {
        Path rules = TestPlugins.rules(dir, "rules.yaml", ECHO_ONLY.replace("127.0.0.1", "proxy.invalid"));
        Main.Exit exit = assertThrows(Main.Exit.class, () -> Main.start(args(rules, "--port", "0"), print()));
        assertEquals(1, exit.code);
        assertEquals("wsproxy: cannot listen: proxy.invalid:0: unknown host", exit.getMessage());
    }

    @Test
    void checkRefusesAHostNameThatDoesNotResolveAsStartWould() throws Exception {
        Path rules = TestPlugins.rules(dir, "rules.yaml", ECHO_ONLY.replace("127.0.0.1", "proxy.invalid"));
        Main.Exit exit = assertThrows(Main.Exit.class, () -> Main.start(args(rules, "--check"), print()));
        assertEquals(1, exit.code);
        assertEquals("wsproxy: cannot listen: proxy.invalid:8080: unknown host", exit.getMessage());
    }

    @Test
    void brokenJarInThePluginsFolderFailsStartNamingIt() throws Exception {
        Path rules = TestPlugins.rules(dir, "rules.yaml", ECHO_ONLY);
        Path plugins = TestPlugins.pluginsFolder(dir);
        Path broken = Files.writeString(plugins.resolve("broken.jar"), "not a jar");
        Main.Exit exit = assertThrows(Main.Exit.class, () -> Main.start(
                new String[] {"--config", rules.toString(), "--plugins", plugins.toString(), "--port", "0"}, print()));
        assertEquals(1, exit.code);
        assertTrue(exit.getMessage().startsWith("wsproxy: plugin jar " + broken.toAbsolutePath() + " is not a"),
                exit.getMessage());
    }

    @Test
    void missingPluginsFolderFailsStartNamingIt() throws Exception {
        Path rules = TestPlugins.rules(dir, "rules.yaml", ECHO_ONLY);
        Path missing = dir.resolve("no-plugins");
        Main.Exit exit = assertThrows(Main.Exit.class, () -> Main.start(
                new String[] {"--config", rules.toString(), "--plugins", missing.toString()}, print()));
        assertEquals(1, exit.code);
        assertEquals("wsproxy: plugins folder " + missing.toAbsolutePath() + " does not exist", exit.getMessage());
    }

    @Test
    void pluginsDirInTheRulesFileIsUsedWhenTheCommandLineNamesNone() throws Exception {
        TestPlugins.pluginsFolder(dir);
        Path rules = TestPlugins.rules(dir, "rules.yaml", """
                server: { host: 127.0.0.1, port: 0 }
                plugins: { dir: plugins }
                rules:
                  - name: r
                    pattern: ^/r
                    target: ws://127.0.0.1:1
                """);
        ProxyApp app = Main.start(new String[] {"--config", rules.toString()}, print());
        started.add(app);
        assertTrue(app.port() > 0);
    }

    @Test
    void configErrorIsOneLineWithFileAndLine() throws Exception {
        Path rules = TestPlugins.rules(dir, "rules.yaml", """
                rules:
                  - name: bad
                    pattern: "(unclosed"
                """);
        Main.Exit exit = assertThrows(Main.Exit.class, () -> Main.start(args(rules), print()));
        assertEquals(1, exit.code);
        assertTrue(exit.getMessage().startsWith(rules + ":3: rules[0] (bad).pattern: invalid regex"), exit.getMessage());
        assertFalse(exit.getMessage().contains("\n"), exit.getMessage());
    }

    @Test
    void missingRulesFileSaysWhereItLooked() {
        Path missing = dir.resolve("nowhere.yaml");
        Main.Exit exit = assertThrows(Main.Exit.class, () -> Main.start(new String[] {"--config", missing.toString()},
                print()));
        assertEquals(1, exit.code);
        assertEquals("wsproxy: no rules file at " + missing.toAbsolutePath() + " (use --config FILE)", exit.getMessage());
    }

    @Test
    void helpListsEveryOptionAndExitsZero() {
        Main.Exit exit = assertThrows(Main.Exit.class, () -> Main.start(new String[] {"--help"}, print()));
        assertEquals(0, exit.code);
        String help = out.toString(StandardCharsets.UTF_8);
        for (String option : List.of("--config FILE", "--plugins DIR", "--port N", "--check", "--help", "SIGHUP")) {
            assertTrue(help.contains(option), help);
        }
    }

    @Test
    void checkValidatesRulesAndPluginsWithoutListening() throws Exception {
        Path rules = TestPlugins.rules(dir, "rules.yaml", ECHO_ONLY); // port 8080: a check must not bind it
        Main.Exit passed = assertThrows(Main.Exit.class, () -> Main.start(args(rules, "--check"), print()));
        assertEquals(0, passed.code);
        assertEquals("wsproxy: " + rules + ": ok, 1 rules\n", out.toString(StandardCharsets.UTF_8));

        Path wrong = TestPlugins.rules(dir, "wrong.yaml", ECHO_ONLY.replace("plugin: echo", "plugin: nope"));
        Main.Exit failed = assertThrows(Main.Exit.class, () -> Main.start(args(wrong, "--check"), print()));
        assertEquals(1, failed.code);
        assertTrue(failed.getMessage().startsWith(wrong + ":5: rules (echo).plugin: unknown plugin 'nope'"),
                failed.getMessage());
    }

    @Test
    void checkReadsTheListenersCertificateAndKey() throws Exception {
        io.wsproxy.testing.TestTls.get().writePem(dir);
        String tls = ECHO_ONLY.replace("port: 8080 }", "port: 8080, tls: { certificate: localhost.crt, key: KEY } }");
        Path rules = TestPlugins.rules(dir, "tls.yaml", tls.replace("KEY", "localhost.key"));
        Main.Exit passed = assertThrows(Main.Exit.class, () -> Main.start(args(rules, "--check"), print()));
        assertEquals(0, passed.code, passed.getMessage());

        Files.writeString(dir.resolve("other.key"), io.wsproxy.testing.TestTls.pem("PRIVATE KEY",
                io.wsproxy.testing.TestTls.generate().key().getEncoded()));
        Path wrong = TestPlugins.rules(dir, "wrong-key.yaml", tls.replace("KEY", "other.key"));
        Main.Exit failed = assertThrows(Main.Exit.class, () -> Main.start(args(wrong, "--check"), print()));
        assertEquals(1, failed.code);
        assertTrue(failed.getMessage().startsWith(wrong + ":1: server.tls.key: the key does not belong to the "
                + "certificate CN=localhost in "), failed.getMessage());
    }

    @Test
    void theMetricsShowTheLogLinesDropped() throws Exception {
        ProxyApp app = start(ECHO_ONLY.replace("port: 8080 }", "port: 8080, metricsPath: /metrics }"));
        try (java.net.Socket socket = io.wsproxy.testing.RawHttp.connect(app.port())) {
            io.wsproxy.testing.RawHttp.send(socket, "GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            String page = io.wsproxy.testing.RawHttp.readToEnd(socket.getInputStream());
            // the count itself: NonBlockingStderrTest; here, that the running proxy reports it
            assertTrue(page.contains("\nwsproxy_log_lines_dropped_total " + NonBlockingStderr.droppedLines() + "\n"), page);
        }
    }

    @Test
    void badPortIsAUsageErrorWithExitCode2() {
        Main.Exit exit = assertThrows(Main.Exit.class, () -> Main.start(new String[] {"--port", "http"}, print()));
        assertEquals(2, exit.code);
        assertEquals("wsproxy: --port: expected a port from 0 to 65535, got 'http' (see --help)", exit.getMessage());
    }

    @Test
    void defaultPluginsFolderIsBesideTheCode() {
        // run from target/classes here, as from target/wsproxy.jar in the distribution: both give target/plugins
        assertEquals(Path.of("target", "plugins").toAbsolutePath(), Main.defaultPluginsDir());
    }

    private ProxyApp start(String yaml) throws Exception {
        Path rules = TestPlugins.rules(dir, "rules-" + started.size() + ".yaml", yaml);
        ProxyApp app = Main.start(args(rules, "--port", "0"), print());
        started.add(app);
        return app;
    }

    private String[] args(Path rules, String... more) throws Exception {
        Path plugins = Files.isDirectory(dir.resolve("plugins")) ? dir.resolve("plugins") : TestPlugins.pluginsFolder(dir);
        List<String> args = new ArrayList<>(List.of("--config", rules.toString(), "--plugins", plugins.toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    private PrintStream print() {
        return new PrintStream(out, true, StandardCharsets.UTF_8);
    }
}
