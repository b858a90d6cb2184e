package io.wsproxy.plugin;

import io.wsproxy.spi.ProxyPlugin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.pf4j.JarPluginManager;
import org.pf4j.PluginManager;
import org.pf4j.PluginRuntimeException;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads every plugin jar of a folder with PF4J and collects their {@link ProxyPlugin} extensions, once. All or
 * nothing: a jar that does not load, start, or yield a ProxyPlugin fails the whole load, naming the jar, because a
 * half-loaded set would only surface later as an "unknown plugin" far from its cause. {@link #close()} stops and
 * unloads the plugins.
 */
public final class PluginLoader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PluginLoader.class);

    /** A plugin folder or jar is unusable; the message names it and PF4J's cause. */
    public static final class PluginLoadException extends RuntimeException {
        PluginLoadException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final PluginManager manager;
    private final Path dir;
    private final List<ProxyPlugin> plugins;

    private PluginLoader(PluginManager manager, Path dir, List<ProxyPlugin> plugins) {
        this.manager = manager;
        this.dir = dir;
        this.plugins = List.copyOf(plugins);
    }

    /**
     * Loads and starts every {@code *.jar} in {@code dir} (other files are ignored; an empty folder gives no plugins).
     *
     * @throws PluginLoadException when the folder is missing, or a jar is broken, bundles host classes, fails to
     *                             start or has no ProxyPlugin extension
     */
    public static PluginLoader load(Path dir) {
        Path folder = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(folder)) {
            throw new PluginLoadException("plugins folder " + folder
                    + (Files.exists(folder) ? " is not a folder" : " does not exist"), null);
        }
        List<Path> jars = jarsIn(folder);
        JarPluginManager manager = new JarPluginManager(folder);
        try {
            Map<String, Path> jarById = new LinkedHashMap<>();
            for (Path jar : jars) {
                rejectHostClasses(jar);
                requirePluginManifest(jar);
                try {
                    jarById.put(manager.loadPlugin(jar), jar);
                } catch (RuntimeException e) {
                    throw failure(jar, "is not a loadable plugin", e);
                }
            }
            manager.startPlugins();
            List<ProxyPlugin> plugins = new ArrayList<>();
            Map<String, Path> jarByName = new LinkedHashMap<>();
            jarById.forEach((id, jar) -> {
                for (ProxyPlugin plugin : extensionsOf(manager, id, jar)) {
                    Path other = jarByName.putIfAbsent(plugin.name(), jar);
                    if (other != null) {
                        throw failure(jar, "has a plugin named '" + plugin.name() + "', as " + other + " has", null);
                    }
                    plugins.add(plugin);
                }
            });
            return new PluginLoader(manager, folder, plugins);
        } catch (RuntimeException e) {
            stop(manager);
            throw e;
        }
    }

    /** The ProxyPlugin extensions of every loaded jar, in jar-name order; the same instances on every call. */
    public List<ProxyPlugin> plugins() {
        return plugins;
    }

    public Path dir() {
        return dir;
    }

    /** Stops and unloads the plugins; call after the server using them has stopped. */
    @Override
    public void close() {
        stop(manager);
    }

    @Override
    public String toString() {
        return "PluginLoader[" + dir + ": " + plugins.stream().map(ProxyPlugin::name).toList() + "]";
    }

    private static List<Path> jarsIn(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new PluginLoadException("cannot list plugins folder " + folder + ": " + e, e);
        }
    }

    /**
     * PF4J loads plugin-first: a bundled copy of a host class (the SPI, Undertow, PF4J) would shadow the host's,
     * and the plugin's extensions would silently fail to match {@link ProxyPlugin}. Refuse such a jar up front.
     */
    private static void rejectHostClasses(Path jar) {
        ClassLoader host = PluginLoader.class.getClassLoader();
        List<String> bundled = new ArrayList<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                String name = entries.nextElement().getName();
                if (name.endsWith(".class") && !name.startsWith("META-INF/") && !name.endsWith("module-info.class")
                        && host.getResource(name) != null) {
                    bundled.add(name.substring(0, name.length() - ".class".length()).replace('/', '.'));
                }
            }
        } catch (IOException e) {
            throw failure(jar, "is not a readable jar", e);
        }
        if (!bundled.isEmpty()) {
            throw failure(jar, "bundles host classes (" + bundled.get(0)
                    + (bundled.size() > 1 ? " and " + (bundled.size() - 1) + " more" : "")
                    + "); compile it against proxy-core and pf4j with <scope>provided</scope>", null);
        }
    }

    /** PF4J would fail such a jar with a NullPointerException about the manifest, naming nothing a user could fix. */
    private static void requirePluginManifest(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            if (manifest == null || manifest.getMainAttributes().getValue("Plugin-Id") == null) {
                throw failure(jar, "is not a plugin: its META-INF/MANIFEST.MF has no Plugin-Id (see "
                        + "proxy-plugins/relay/pom.xml for what a plugin module sets)", null);
            }
        } catch (IOException e) {
            throw failure(jar, "is not a readable jar", e);
        }
    }

    private static List<ProxyPlugin> extensionsOf(PluginManager manager, String id, Path jar) {
        PluginWrapper plugin = manager.getPlugin(id);
        if (plugin.getPluginState() != PluginState.STARTED) {
            Throwable cause = plugin.getFailedException();
            throw failure(jar, "did not start (plugin '" + id + "' is " + plugin.getPluginState() + ")", cause);
        }
        List<Class<? extends ProxyPlugin>> classes = manager.getExtensionClasses(ProxyPlugin.class, id);
        if (classes.isEmpty()) {
            throw failure(jar, "has no ProxyPlugin extension: annotate the class with @Extension and run PF4J's"
                    + " annotation processor, so that META-INF/extensions.idx lists it", null);
        }
        List<ProxyPlugin> found = new ArrayList<>();
        for (Class<? extends ProxyPlugin> type : classes) {
            ProxyPlugin extension = create(manager, type, jar);
            String name;
            try {
                name = extension.name();
            } catch (RuntimeException e) {
                throw failure(jar, "did not start (its " + type.getName() + ".name() failed)", e);
            }
            if (name == null || name.isBlank()) {
                throw failure(jar, "did not start (its " + type.getName() + " has no name: name() gave "
                        + (name == null ? "null" : "'" + name + "'") + ")", null);
            }
            found.add(extension);
        }
        for (ProxyPlugin p : found) {
            log.info("plugin '{}' ({}) from {}", p.name(), p.getClass().getName(), jar.getFileName());
        }
        return found;
    }

    /**
     * One instance of an extension class, made here rather than by {@code getExtensions}: PF4J would log a
     * constructor's exception and leave the jar looking as if it had no extension, and let a LinkageError (a
     * class the plugin needs and does not carry) escape unnamed.
     */
    private static ProxyPlugin create(PluginManager manager, Class<? extends ProxyPlugin> type, Path jar) {
        try {
            return manager.getExtensionFactory().create(type);
        } catch (RuntimeException | LinkageError e) {
            // PF4J wraps what the constructor threw
            Throwable cause = e instanceof PluginRuntimeException && e.getCause() != null ? e.getCause() : e;
            throw failure(jar, "did not start (its " + type.getName() + " cannot be created)", cause);
        }
    }

    private static PluginLoadException failure(Path jar, String problem, Throwable cause) {
        String why = cause == null ? "" : ": " + describe(cause);
        return new PluginLoadException("plugin jar " + jar + " " + problem + why, cause);
    }

    /** The cause chain in one line: PF4J wraps the real reason (a ZipException, a missing field) once or twice. */
    private static String describe(Throwable cause) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = cause; t != null && sb.length() < 400; t = t.getCause() == t ? null : t.getCause()) {
            if (sb.length() > 0) {
                sb.append(": ");
            }
            String message = t.getMessage();
            // one line: PF4J's messages sometimes run over two
            sb.append(message == null || message.isBlank() ? t.getClass().getSimpleName()
                    : message.replaceAll("\\s*\\R\\s*", " "));
        }
        return sb.toString();
    }

    /**
     * Stops and unloads each plugin, last loaded first. One by one, because PF4J 3.15's {@code stopPlugins()}
     * throws ConcurrentModificationException once a plugin has started.
     */
    private static void stop(PluginManager manager) {
        List<PluginWrapper> loaded = new ArrayList<>(manager.getPlugins());
        Collections.reverse(loaded);
        for (PluginWrapper plugin : loaded) {
            try {
                manager.unloadPlugin(plugin.getPluginId());
            } catch (RuntimeException e) {
                log.warn("stopping plugin '{}' failed", plugin.getPluginId(), e);
            }
        }
    }
}
