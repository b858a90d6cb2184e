package io.wsproxy.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;

/** Reads rules.yaml into a validated {@link ProxyConfig}; every problem is a {@link ConfigException} with its line. */
public final class ConfigLoader {
    static final List<String> TOP_LEVEL = List.of("server", "plugins", "rules");
    static final List<String> SERVER_FIELDS = List.of("port", "host", "connectTimeout", "responseTimeout",
            "bodyTimeout", "headerTimeout", "keepAliveTimeout", "maxHeaderBytes", "maxConnections", "tcpKeepAlive",
            "metricsPath", "tls", "upstreamCa");
    static final List<String> TLS_FIELDS = List.of("certificate", "key");
    static final List<String> PLUGINS_FIELDS = List.of("dir");

    private ConfigLoader() {
    }

    /** Reads and validates the file (UTF-8). */
    public static ProxyConfig load(Path file) {
        String yaml;
        try {
            if (Files.size(file) > YamlComposer.MAX_CODE_POINTS * 4L) {
                throw new ConfigException(file, 0, null, "file too large");
            }
            yaml = Files.readString(file);
        } catch (CharacterCodingException e) {
            throw new ConfigException(file, lineOfFirstNonUtf8(file), null, "cannot read file: not UTF-8 text", e);
        } catch (IOException e) {
            throw new ConfigException(file, 0, null, "cannot read file: " + e, e);
        }
        return parse(yaml, file);
    }

    /** The line where the file's first byte that is not UTF-8 stands, or 0 when it cannot be read again. */
    private static int lineOfFirstNonUtf8(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            ByteBuffer in = ByteBuffer.wrap(bytes);
            StandardCharsets.UTF_8.newDecoder().decode(in, CharBuffer.allocate(bytes.length), true);
            int line = 1;
            for (int i = 0; i < in.position(); i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            return line;
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Validates YAML text.
     *
     * @param file the file the text came from: errors name it, and {@code plugins.dir} is resolved against its folder
     */
    public static ProxyConfig parse(String yaml, Path file) {
        Node root = YamlComposer.compose(yaml, file);
        if (root == null) {
            throw new ConfigException(file, 1, null, "empty file: expected " + String.join(", ", TOP_LEVEL));
        }
        MappingReader top = MappingReader.of(file, root, "", TOP_LEVEL);
        return new ProxyConfig(file, server(file, top), plugins(file, top), rules(file, top));
    }

    private static ServerConfig server(Path file, MappingReader top) {
        Node node = top.value("server");
        if (node == null) {
            return ServerConfig.defaults();
        }
        MappingReader server = MappingReader.of(file, node, "server", SERVER_FIELDS);
        String host = server.string("host");
        if (host != null && host.isBlank()) {
            throw server.error("host", "must not be empty");
        }
        int port = server.integer("port", ServerConfig.DEFAULT_PORT, 0, ServerConfig.MAX_PORT);
        String metricsPath = server.string("metricsPath");
        if (metricsPath != null && !ServerConfig.isPlainPath(metricsPath)) {
            throw server.error("metricsPath", "expected a path such as /metrics (a slash first, no query, no "
                    + "spaces), got '" + metricsPath + "'");
        }
        return new ServerConfig(host == null ? ServerConfig.DEFAULT_HOST : host.strip(), port,
                server.duration("connectTimeout", ServerConfig.DEFAULT_CONNECT_TIMEOUT),
                server.duration("responseTimeout", ServerConfig.DEFAULT_RESPONSE_TIMEOUT),
                server.duration("bodyTimeout", ServerConfig.DEFAULT_BODY_TIMEOUT),
                server.duration("headerTimeout", ServerConfig.DEFAULT_HEADER_TIMEOUT),
                server.duration("keepAliveTimeout", ServerConfig.DEFAULT_KEEP_ALIVE_TIMEOUT),
                server.bytes("maxHeaderBytes", ServerConfig.DEFAULT_MAX_HEADER_BYTES, ServerConfig.MIN_MAX_HEADER_BYTES,
                        Integer.MAX_VALUE),
                server.integer("maxConnections", ServerConfig.NO_LIMIT, 0, Integer.MAX_VALUE),
                tcpKeepAlive(server), metricsPath, tls(file, server), upstreamCa(file, server));
    }

    private static java.time.Duration tcpKeepAlive(MappingReader server) {
        java.time.Duration d = server.duration("tcpKeepAlive", ServerConfig.DEFAULT_TCP_KEEP_ALIVE, true);
        if (!ServerConfig.isTcpKeepAlive(d)) {
            throw server.error("tcpKeepAlive", "expected 0 (off) or whole seconds from 1s to "
                    + ServerConfig.MAX_TCP_KEEP_ALIVE.toSeconds() + "s, got " + d.toMillis() + " ms");
        }
        return d;
    }

    /** {@code server.tls}: both files are read and checked now, so a wrong one stops the start (or a reload). */
    private static TlsConfig tls(Path file, MappingReader server) {
        Node node = server.value("tls");
        if (node == null) {
            return null;
        }
        MappingReader tls = MappingReader.of(file, node, "server.tls", TLS_FIELDS);
        Path certificate = besideRulesFile(file, tls, "certificate");
        Path key = besideRulesFile(file, tls, "key");
        try {
            return PemCredentials.load(certificate, key);
        } catch (PemCredentials.Problem e) {
            throw tls.error(e.inKeyFile() ? "key" : "certificate", e.getMessage());
        }
    }

    private static UpstreamTrust upstreamCa(Path file, MappingReader server) {
        if (server.value("upstreamCa") == null) {
            return null;
        }
        try {
            return PemCredentials.trust(besideRulesFile(file, server, "upstreamCa"));
        } catch (PemCredentials.Problem e) {
            throw server.error("upstreamCa", e.getMessage());
        }
    }

    /** A required path field, relative to the rules file's folder unless absolute. */
    private static Path besideRulesFile(Path file, MappingReader mapping, String key) {
        String value = mapping.requiredString(key);
        Path folder = file.getParent();
        try {
            Path path = Path.of(value);
            return (folder == null ? path : folder.resolve(path)).normalize();
        } catch (IllegalArgumentException e) {
            throw mapping.error(key, "invalid path: " + e.getMessage());
        }
    }

    private static PluginsConfig plugins(Path file, MappingReader top) {
        Node node = top.value("plugins");
        if (node == null) {
            return PluginsConfig.none();
        }
        MappingReader plugins = MappingReader.of(file, node, "plugins", PLUGINS_FIELDS);
        if (plugins.value("dir") == null) {
            return PluginsConfig.none();
        }
        return new PluginsConfig(besideRulesFile(file, plugins, "dir"));
    }

    private static List<Rule> rules(Path file, MappingReader top) {
        Node node = top.value("rules");
        if (node == null) {
            throw top.error("rules", "no rules: the file needs at least one rule");
        }
        if (!(node instanceof SequenceNode list)) {
            throw top.error("rules", "expected a list of rules, got " + MappingReader.describe(node));
        }
        if (list.getValue().isEmpty()) {
            throw top.error("rules", "no rules: the list is empty");
        }
        RuleReader reader = new RuleReader(file);
        List<Rule> rules = new ArrayList<>();
        Map<String, Rule> byName = new HashMap<>();
        for (Node item : list.getValue()) {
            Rule rule = reader.read(item, rules.size());
            Rule first = byName.putIfAbsent(rule.name(), rule);
            if (first != null) {
                throw new ConfigException(file, rule.location().line("name"),
                        RuleReader.pathOf(item, rules.size()) + ".name",
                        "duplicate rule name '" + rule.name() + "' (first used at line " + first.location().line("name") + ")");
            }
            rules.add(rule);
        }
        return rules;
    }
}
