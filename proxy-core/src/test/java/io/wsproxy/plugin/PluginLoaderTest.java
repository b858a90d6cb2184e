package io.wsproxy.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wsproxy.spi.HandshakeResult;
import io.wsproxy.spi.ProxyPlugin;
import io.wsproxy.spi.RuleInfo;
import io.wsproxy.spi.UpgradeRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a plugins folder can be wrong fails the load with the folder or jar named. Loading the real relay jar
 * is tested in proxy-app, which the reactor builds after the plugins.
 */
@Timeout(30)
class PluginLoaderTest {
    @TempDir
    Path dir;

    @Test
    void missingFolderIsNamed() {
        Path missing = dir.resolve("no-such-plugins");
        var e = assertThrows(PluginLoader.PluginLoadException.class, () -> PluginLoader.load(missing));
        assertEquals("plugins folder " + missing.toAbsolutePath() + " does not exist", e.getMessage());
    }

    @Test
    void fileInsteadOfFolderIsNamed() throws IOException {
        Path file = Files.writeString(dir.resolve("plugins"), "x");
        var e = assertThrows(PluginLoader.PluginLoadException.class, () -> PluginLoader.load(file));
        assertEquals("plugins folder " + file.toAbsolutePath() + " is not a folder", e.getMessage());
    }

    @Test
    void emptyFolderLoadsNoPluginsAndIgnoresOtherFiles() throws IOException {
        Files.writeString(dir.resolve("README.txt"), "not a plugin");
        Files.createDirectory(dir.resolve("old"));
        try (PluginLoader loader = PluginLoader.load(dir)) {
            assertEquals(0, loader.plugins().size());
        }
    }

    @Test
    void fileThatIsNotAZipIsNamed() throws IOException {
        Path jar = Files.writeString(dir.resolve("garbage.jar"), "this is not a zip file");
        var e = assertThrows(PluginLoader.PluginLoadException.class, () -> PluginLoader.load(dir));
        assertStartsWith("plugin jar " + jar.toAbsolutePath() + " is not a readable jar: ", e.getMessage());
    }

    @Test
    void zipWithoutManifestSaysSo() throws IOException {
        Path jar = dir.resolve("plain.jar");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(jar))) {
            zip.putNextEntry(new ZipEntry("hello.txt"));
            zip.write("hi".getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
        var e = assertThrows(PluginLoader.PluginLoadException.class, () -> PluginLoader.load(dir));
        // not PF4J's NullPointerException about a null manifest
        assertStartsWith("plugin jar " + jar.toAbsolutePath() + " is not a plugin: its META-INF/MANIFEST.MF has no "
                + "Plugin-Id", e.getMessage());
    }

    @Test
    void jarWithoutPluginIdSaysSo() throws IOException {
        Path jar = writeJar("no-id.jar", Map.of("Plugin-Version", "1.0.0"), Map.of());
        var e = assertThrows(PluginLoader.PluginLoadException.class, () -> PluginLoader.load(dir));
        assertStartsWith("plugin jar " + jar.toAbsolutePath() + " is not a plugin: its META-INF/MANIFEST.MF has no "
                + "Plugin-Id", e.getMessage());
    }

    @Test
    void twoJarsWithOnePluginIdAreNamedOnOneLine() throws IOException {
        writeJar("a.jar", Map.of("Plugin-Id", "same", "Plugin-Version", "1.0.0"), Map.of());
        Path second = writeJar("b.jar", Map.of("Plugin-Id", "same", "Plugin-Version", "1.0.0"), Map.of());
        var e = assertThrows(PluginLoader.PluginLoadException.class, () -> PluginLoader.load(dir));
        assertStartsWith("plugin jar " + second.toAbsolutePath() + " is not a loadable plugin: ", e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void twoJarsWithPluginsOfOneNameAreBothNamed() throws IOException {
        Path first = writeJar("a.jar", Map.of("Plugin-Id", "a", "Plugin-Version", "1.0.0"),
                Map.of("META-INF/extensions.idx", indexOf(FinePlugin.class)));
        Path second = writeJar("b.jar", Map.of("Plugin-Id", "b", "Plugin-Version", "1.0.0"),
                Map.of("META-INF/extensions.idx", indexOf(FinePlugin.class)));
        var e = assertThrows(PluginLoader.PluginLoadException.class, () -> PluginLoader.load(dir));
        assertEquals("plugin jar " + second.toAbsolutePath() + " has a plugin named 'FinePlugin', as "
                + first.toAbsolutePath() + " has", e.getMessage());
    }

    @Test
    void aPluginWithoutANameIsNamedByItsClass() throws IOException {
        Path jar = writeJar("nameless.jar", Map.of("Plugin-Id", "nameless", "Plugin-Version", "1.0.0"),
                Map.of("META-INF/extensions.idx", indexOf(NamelessPlugin.class)));
        var e = assertThrows(PluginLoader.PluginLoadException.class, () -> PluginLoader.load(dir));
        assertEquals("plugin jar " + jar.toAbsolutePath() + " did not start (its " + NamelessPlugin.class.getName()
                + " has no name: name() gave null)", e.getMessage());
    }

    @Test
    void jarWithoutExtensionsSaysHowToGenerateTheIndex() throws IOException {
        Path jar = writeJar("empty.jar", Map.of("Plugin-Id", "empty", "Plugin-Version", "1.0.0"), Map.of());
        var e = assertThrows(PluginLoader.PluginLoadException.class, () -> PluginLoader.load(dir));
        assertEquals("plugin jar " + jar.toAbsolutePath() + " has no ProxyPlugin extension: annotate the class"
                + " with @Extension and run PF4J's annotation processor, so that META-INF/extensions.idx lists it",
                e.getMessage());
    }

    @Test
    void jarBundlingHostClassesIsRefused() throws IOException {
        String spi = ProxyPlugin.class.getName().replace('.', '/') + ".class";
        byte[] bytes;
        try (InputStream in = ProxyPlugin.class.getClassLoader().getResourceAsStream(spi)) {
            bytes = in.readAllBytes();
        }
        Path jar = writeJar("fat.jar", Map.of("Plugin-Id", "fat", "Plugin-Version", "1.0.0"), Map.of(spi, bytes));
        var e = assertThrows(PluginLoader.PluginLoadException.class, () -> PluginLoader.load(dir));
        assertEquals("plugin jar " + jar.toAbsolutePath() + " bundles host classes (io.wsproxy.spi.ProxyPlugin);"
                + " compile it against proxy-core and pf4j with <scope>provided</scope>", e.getMessage());
    }

    @Test
    void oneBrokenJarFailsTheWholeFolder() throws IOException {
        writeJar("a-fine-but-empty.jar", Map.of("Plugin-Id", "fine", "Plugin-Version", "1.0.0"), Map.of());
        Path broken = Files.writeString(dir.resolve("b-broken.jar"), "nope");
        var e = assertThrows(PluginLoader.PluginLoadException.class, () -> PluginLoader.load(dir));
        assertTrue(e.getMessage().contains(broken.getFileName().toString()), e.getMessage());
    }

    @Test
    void pluginWhoseConstructorThrowsIsNamed() throws IOException {
        Path jar = writeJar("throwing.jar", Map.of("Plugin-Id", "throwing", "Plugin-Version", "1.0.0"),
                Map.of("META-INF/extensions.idx", indexOf(ThrowingPlugin.class)));
        var e = assertThrows(PluginLoader.PluginLoadException.class, () -> PluginLoader.load(dir));
        assertStartsWith("plugin jar " + jar.toAbsolutePath() + " did not start", e.getMessage());
        assertTrue(e.getMessage().contains("no licence key"), e.getMessage());
    }

    /** A plugin that needs a library its jar does not carry fails with a LinkageError, which is no Exception. */
    @Test
    void pluginMissingAClassItNeedsIsNamed() throws IOException {
        Path jar = writeJar("incomplete.jar", Map.of("Plugin-Id", "incomplete", "Plugin-Version", "1.0.0"),
                Map.of("META-INF/extensions.idx", indexOf(IncompletePlugin.class)));
        var e = assertThrows(PluginLoader.PluginLoadException.class, () -> PluginLoader.load(dir));
        assertStartsWith("plugin jar " + jar.toAbsolutePath() + " did not start", e.getMessage());
        assertTrue(e.getMessage().contains("com/example/Missing"), e.getMessage());
    }

    /** Not bundled in the test jars: PF4J finds the class named by their extensions.idx on the host's class path. */
    public static final class ThrowingPlugin extends NamedPlugin {
        public ThrowingPlugin() {
            throw new IllegalStateException("no licence key");
        }
    }

    public static final class FinePlugin extends NamedPlugin {
    }

    public static final class NamelessPlugin extends NamedPlugin {
        @Override
        public String name() {
            return null;
        }
    }

    public static final class IncompletePlugin extends NamedPlugin {
        public IncompletePlugin() {
            throw new NoClassDefFoundError("com/example/Missing");
        }
    }

    abstract static class NamedPlugin implements ProxyPlugin {
        @Override
        public String name() {
            return getClass().getSimpleName();
        }

        @Override
        public Object parseOptions(RuleInfo rule, Map<String, Object> options) {
            return null;
        }

        @Override
        public CompletionStage<HandshakeResult> handshake(UpgradeRequest request) {
            throw new UnsupportedOperationException();
        }
    }

    private static byte[] indexOf(Class<?> extension) {
        return (extension.getName() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private Path writeJar(String name, Map<String, String> manifestEntries, Map<String, byte[]> files)
            throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifestEntries.forEach((k, v) -> manifest.getMainAttributes().putValue(k, v));
        Path jar = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out, manifest)) {
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                zip.putNextEntry(new ZipEntry(file.getKey()));
                zip.write(file.getValue());
                zip.closeEntry();
            }
        }
        return jar;
    }

    private static void assertStartsWith(String prefix, String actual) {
        assertTrue(actual.startsWith(prefix), () -> "expected to start with\n  " + prefix + "\nbut was\n  " + actual);
    }
}
