package io.wsproxy.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The real plugin jars the reactor built before this module, and rules files for tests. */
final class TestPlugins {
    /** Relative to this module's folder, where surefire runs. */
    static final Path RELAY_JAR = Path.of("..", "proxy-plugins", "relay", "target", "relay.jar");

    private TestPlugins() {
    }

    /** The built relay jar; fails (never skips) when it has not been built. */
    static Path relayJar() {
        Path jar = RELAY_JAR.toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("missing " + jar + ": build the plugins first (mvn -B verify from the repository"
                    + " root builds them before this module; or mvn -B -q package -DskipTests)");
        }
        return jar;
    }

    /** A plugins folder in {@code dir} holding a copy of the real relay jar. */
    static Path pluginsFolder(Path dir) throws IOException {
        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.copy(relayJar(), plugins.resolve("relay.jar"));
        return plugins;
    }

    static Path rules(Path dir, String name, String yaml) throws IOException {
        return Files.writeString(dir.resolve(name), yaml);
    }
}
