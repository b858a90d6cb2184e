package io.wsproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(ConfigLoaderTest.class.getResource("/config/" + name).toURI());
    }

    @Test
    void readsEveryFieldOfTheRulesFile() throws Exception {
        Path file = resource("full.yaml");
        ProxyConfig config = ConfigLoader.load(file);

        assertEquals(file, config.source());
        assertEquals(new ServerConfig("127.0.0.1", 9090), config.server());
        assertEquals(file.getParent().resolve("plugins"), config.plugins().dir());
        assertEquals(2, config.rules().size());

        Rule chat = config.rules().get(0);
        assertEquals("chat", chat.name());
        assertEquals("^/ws/chat(/.*)?$", chat.pattern().pattern());
        assertEquals(URI.create("ws://chat-service:8080/base"), chat.target());
        assertEquals("/chat$1", chat.rewrite());
        assertTrue(chat.changeOrigin());
        assertEquals(List.of("X-Proxy-Auth", "X-Count", "Accept"), List.copyOf(chat.headers().keySet()));
        assertEquals("5", chat.headers().get("X-Count"));
        assertEquals("*/*", chat.headers().get("Accept"));
        assertTrue(chat.ws());
        assertEquals("relay", chat.plugin());

        Rule api = config.rules().get(1);
        assertEquals(URI.create("https://api.example.com"), api.target());
        assertNull(api.rewrite());
        assertFalse(api.changeOrigin());
        assertFalse(api.ws());
        assertEquals(Rule.DEFAULT_PLUGIN, api.plugin()); // a ws: false rule takes no plugin
        assertEquals(Map.of(), api.options());
    }

    @Test
    void optionsKeepTheirYamlTypesForThePlugin() throws Exception {
        Map<String, Object> options = ConfigLoader.load(resource("full.yaml")).rules().get(0).options();

        assertEquals("10s", options.get("idleTimeout"));
        assertEquals(Integer.valueOf(500), options.get("maxMessage"));
        assertEquals(Long.valueOf(10_000_000_000L), options.get("big"));
        assertEquals(Double.valueOf(1.5), options.get("ratio"));
        assertEquals(Boolean.TRUE, options.get("strict"));
        assertTrue(options.containsKey("nothing"));
        assertNull(options.get("nothing"));
        assertEquals(List.of("chat", "superchat"), options.get("protocols"));
        assertEquals(Map.of("a", 1, "b", List.of("x")), options.get("nested"));
        assertEquals("2024-01-01", options.get("since"));
        assertEquals(List.of("idleTimeout", "maxMessage", "big", "ratio", "strict", "nothing", "protocols", "nested",
                "since"), List.copyOf(options.keySet()));
    }

    @Test
    void yamlNumberFormsAreReadAsYamlDefinesThem() {
        Map<String, Object> options = ConfigLoader.parse("""
                rules:
                  - name: a
                    pattern: ^/
                    options: { hex: 0x1F, under: 1_000, negative: -3, inf: .inf, quoted: "500", zero: 0 }
                """, Path.of("rules.yaml")).rules().get(0).options();

        assertEquals(31, options.get("hex"));
        assertEquals(0, options.get("zero"));
        assertEquals(1000, options.get("under"));
        assertEquals(-3, options.get("negative"));
        assertEquals(Double.POSITIVE_INFINITY, options.get("inf"));
        assertEquals("500", options.get("quoted"));
    }

    @Test
    void unsetFieldsTakeTheirDefaults() throws Exception {
        ProxyConfig config = ConfigLoader.load(resource("minimal.yaml"));

        assertEquals(ServerConfig.defaults(), config.server());
        assertEquals(new ServerConfig("0.0.0.0", 8080), config.server());
        assertNull(config.plugins().dir());
        Rule rule = config.rules().get(0);
        assertNull(rule.target());
        assertNull(rule.rewrite());
        assertFalse(rule.changeOrigin());
        assertTrue(rule.ws());
        assertEquals("relay", rule.plugin());
        assertEquals(Map.of(), rule.headers());
        assertEquals(Map.of(), rule.options());
    }

    @Test
    void nullValuesLeaveOptionalFieldsUnset() {
        Rule rule = ConfigLoader.parse("""
                server:
                rules:
                  - name: a
                    pattern: ^/
                    target:
                    headers:
                    options: ~
                """, Path.of("rules.yaml")).rules().get(0);

        assertNull(rule.target());
        assertEquals(Map.of(), rule.headers());
        assertEquals(Map.of(), rule.options());
    }

    @Test
    void textFieldsAreTakenAsWritten() {
        Rule rule = ConfigLoader.parse("""
                rules:
                  - name: 123
                    pattern: ^/
                    plugin: yes
                """, Path.of("rules.yaml")).rules().get(0);

        assertEquals("123", rule.name());
        assertEquals("yes", rule.plugin());
    }

    @Test
    void pluginsDirIsResolvedAgainstTheRulesFileFolder() {
        String yaml = "plugins: { dir: ../jars }\nrules: [ { name: a, pattern: ^/ } ]\n";

        assertEquals(Path.of("/etc/jars"), ConfigLoader.parse(yaml, Path.of("/etc/wsproxy/rules.yaml")).plugins().dir());
        assertEquals(Path.of("../jars"), ConfigLoader.parse(yaml, Path.of("rules.yaml")).plugins().dir());
    }

    @Test
    void sourceLocationPointsAtEachFieldAndOption() throws Exception {
        Path file = resource("full.yaml");
        SourceLocation at = ConfigLoader.load(file).rules().get(0).location();

        assertEquals(file, at.file());
        assertEquals(8, at.line());
        assertEquals(9, at.line("pattern"));
        assertEquals(10, at.line("target"));
        assertEquals(file + ":9", at.at("pattern"));
        assertEquals(file + ":8", at.at("notSet"));
        assertEquals(21, at.optionLine("maxMessage"));
        assertEquals(file + ":21", at.atOption("maxMessage"));
        assertEquals(19, at.optionLine("unknownOption"));
        assertEquals(19, at.optionLine(null));
    }

    @Test
    void laterPhasesReportRuleErrorsWithFileAndLine() throws Exception {
        Path file = resource("full.yaml");
        Rule chat = ConfigLoader.load(file).rules().get(0);

        assertEquals(file + ":18: rules (chat).plugin: unknown plugin 'relay'",
                ConfigException.forRule(chat, "plugin", "unknown plugin 'relay'").getMessage());
        ConfigException option = ConfigException.forOption(chat, "maxMessage", "too small");
        assertEquals(file + ":21: rules (chat).options.maxMessage: too small", option.getMessage());
        assertEquals(21, option.line());
        assertEquals("rules (chat).options.maxMessage", option.field());
        assertEquals("too small", option.problem());
    }

    @Test
    void configIsImmutable() throws Exception {
        ProxyConfig config = ConfigLoader.load(resource("full.yaml"));
        Rule chat = config.rules().get(0);

        assertThrows(UnsupportedOperationException.class, () -> config.rules().clear());
        assertThrows(UnsupportedOperationException.class, () -> chat.headers().put("X", "y"));
        assertThrows(UnsupportedOperationException.class, () -> chat.options().put("x", 1));
        assertThrows(UnsupportedOperationException.class, () -> ((List<?>) chat.options().get("protocols")).clear());
        assertThrows(UnsupportedOperationException.class, () -> ((Map<?, ?>) chat.options().get("nested")).clear());
    }

    @Test
    void withPortChangesOnlyThePort() throws Exception {
        ProxyConfig config = ConfigLoader.load(resource("full.yaml"));
        ProxyConfig moved = config.withPort(0);

        assertEquals(0, moved.server().port());
        assertEquals("127.0.0.1", moved.server().host());
        assertEquals(config.rules(), moved.rules());
        assertEquals(9090, config.server().port());
        assertThrows(IllegalArgumentException.class, () -> config.withPort(70000));
    }

    @Test
    void ruleDescribesItself() throws Exception {
        String text = ConfigLoader.load(resource("full.yaml")).rules().get(0).toString();

        assertTrue(text.contains("chat") && text.contains("^/ws/chat(/.*)?$") && text.contains("ws://chat-service:8080/base"),
                text);
    }

    @Test
    void unreadableFileIsNamed(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing));
        assertTrue(e.getMessage().startsWith(missing + ": cannot read file"), e.getMessage());
    }

    @Test
    void fileThatIsNotUtf8IsRejected(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rules.yaml");
        java.nio.file.Files.write(file, new byte[] {'#', '\n', 'a', ':', ' ', (byte) 0xC3, (byte) 0x28});

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals(file + ":2: cannot read file: not UTF-8 text", e.getMessage());
    }

    @Test
    void serverTimeoutsInEveryDurationForm() {
        ProxyConfig config = ConfigLoader.parse("""
                server: { connectTimeout: 1500, responseTimeout: 2m }
                rules:
                  - name: a
                    pattern: "^/"
                """, java.nio.file.Path.of("rules.yaml"));
        assertEquals(java.time.Duration.ofMillis(1500), config.server().connectTimeout());
        assertEquals(java.time.Duration.ofMinutes(2), config.server().responseTimeout());
        assertEquals(ServerConfig.DEFAULT_RESPONSE_TIMEOUT,
                ConfigLoader.parse("rules:\n  - { name: a, pattern: x }\n", java.nio.file.Path.of("r.yaml")).server().responseTimeout());
    }

    @Test
    void badServerDurationNamesFileLineAndField() {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "server:\n  responseTimeout: soon\nrules:\n  - { name: a, pattern: x }\n", java.nio.file.Path.of("rules.yaml")));
        assertEquals("rules.yaml:2: server.responseTimeout: expected a duration such as 10s, 500ms, 2m or a number of "
                + "milliseconds, got 'soon'", e.getMessage());
    }

    @Test
    void clientLimitsHaveDefaultsAndTakeTheirWrittenForms() {
        ServerConfig defaults = ConfigLoader.parse("rules:\n  - { name: a, pattern: x }\n", java.nio.file.Path.of("r.yaml"))
                .server();
        assertEquals(java.time.Duration.ofSeconds(60), defaults.bodyTimeout());
        assertEquals(java.time.Duration.ofSeconds(60), defaults.headerTimeout());
        assertEquals(java.time.Duration.ofSeconds(60), defaults.keepAliveTimeout());
        assertEquals(64 * 1024, defaults.maxHeaderBytes());
        ServerConfig set = ConfigLoader.parse("server: { headerTimeout: 5s, keepAliveTimeout: 750, maxHeaderBytes: 16KiB,"
                + " bodyTimeout: 2m }\nrules:\n  - { name: a, pattern: x }\n", java.nio.file.Path.of("r.yaml")).server();
        assertEquals(java.time.Duration.ofSeconds(5), set.headerTimeout());
        assertEquals(java.time.Duration.ofMinutes(2), set.bodyTimeout());
        assertEquals(java.time.Duration.ofMinutes(2), set.withPort(9000).bodyTimeout());
        assertEquals(java.time.Duration.ofMillis(750), set.keepAliveTimeout());
        assertEquals(16 * 1024, set.maxHeaderBytes());
        assertEquals(16 * 1024, set.withPort(9000).maxHeaderBytes());
    }

    @Test
    void maxHeaderBytesOutOfRangeNamesFileLineAndField() {
        for (String bad : new String[] {"100", "2GiB", "big", "[1]", "-5"}) {
            ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                    "server:\n  maxHeaderBytes: " + bad + "\nrules:\n  - { name: a, pattern: x }\n",
                    java.nio.file.Path.of("rules.yaml")));
            assertTrue(e.getMessage().startsWith("rules.yaml:2: server.maxHeaderBytes: expected a size from 1024 to "
                    + Integer.MAX_VALUE + " bytes such as 64KiB, got "), e.getMessage());
        }
    }

    @Test
    void durationsStopAtTheLongestTimerTheServerCanSet() {
        assertEquals(java.time.Duration.ofHours(596), ConfigLoader.parse(
                "server: { connectTimeout: 596h }\nrules:\n  - { name: a, pattern: x }\n", java.nio.file.Path.of("r.yaml"))
                .server().connectTimeout());
        assertEquals(java.time.Duration.ofMillis(Integer.MAX_VALUE), ConfigLoader.parse(
                "server: { connectTimeout: 2147483647 }\nrules:\n  - { name: a, pattern: x }\n", java.nio.file.Path.of("r.yaml"))
                .server().connectTimeout());
        for (String tooLong : new String[] {"597h", "2147484s", "2147483648", "1000000000000000h",
                "99999999999999999999ms"}) {
            ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                    "server:\n  connectTimeout: " + tooLong + "\nrules:\n  - { name: a, pattern: x }\n",
                    java.nio.file.Path.of("rules.yaml")));
            assertTrue(e.getMessage().startsWith("rules.yaml:2: server.connectTimeout: "), e.getMessage());
            assertTrue(e.getMessage().contains("too long") || e.getMessage().contains("out of range"), e.getMessage());
        }
    }

    @Test
    void maxConnectionsIsAWholeNumberAndNoLimitByDefault() {
        assertEquals(20000, ConfigLoader.parse("server: { maxConnections: 20000 }\nrules:\n  - { name: a, pattern: x }\n",
                java.nio.file.Path.of("r.yaml")).server().maxConnections());
        assertEquals(ServerConfig.NO_LIMIT, ConfigLoader.parse("rules:\n  - { name: a, pattern: x }\n",
                java.nio.file.Path.of("r.yaml")).server().maxConnections());
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "server:\n  maxConnections: -1\nrules:\n  - { name: a, pattern: x }\n", java.nio.file.Path.of("rules.yaml")));
        assertEquals("rules.yaml:2: server.maxConnections: expected a whole number from 0 to 2147483647, got '-1'",
                e.getMessage());
    }

    @Test
    void tcpKeepAliveIsOnByDefaultWholeSecondsOrOff() {
        java.util.function.Function<String, ServerConfig> server = fields -> ConfigLoader.parse(
                "server: { " + fields + " }\nrules:\n  - { name: a, pattern: x }\n", java.nio.file.Path.of("r.yaml")).server();
        assertEquals(java.time.Duration.ofMinutes(5), server.apply("").tcpKeepAlive());
        assertEquals(java.time.Duration.ofSeconds(90), server.apply("tcpKeepAlive: 90s").tcpKeepAlive());
        assertEquals(java.time.Duration.ZERO, server.apply("tcpKeepAlive: 0").tcpKeepAlive());
        assertEquals(java.time.Duration.ofSeconds(90), server.apply("tcpKeepAlive: 90s").withPort(1).tcpKeepAlive());
        for (String bad : new String[] {"1500ms", "500ms", "32768s", "10h", "-1"}) {
            ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                    "server:\n  tcpKeepAlive: " + bad + "\nrules:\n  - { name: a, pattern: x }\n",
                    java.nio.file.Path.of("rules.yaml")));
            assertTrue(e.getMessage().startsWith("rules.yaml:2: server.tcpKeepAlive: "), e.getMessage());
        }
        assertEquals("rules.yaml:2: server.tcpKeepAlive: expected 0 (off) or whole seconds from 1s to 32767s, got 1500 ms",
                org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                        "server:\n  tcpKeepAlive: 1500ms\nrules:\n  - { name: a, pattern: x }\n",
                        java.nio.file.Path.of("rules.yaml"))).getMessage());
    }

    @Test
    void targetSchemeIsReadCaseInsensitivelyAndKeptLowerCase() {
        Rule rule = ConfigLoader.parse("rules:\n  - { name: a, pattern: x, target: \"HTTPS://example.com:8443/base\" }\n",
                java.nio.file.Path.of("r.yaml")).rules().get(0);
        assertEquals(java.net.URI.create("https://example.com:8443/base"), rule.target());
    }
}
