package io.wsproxy.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wsproxy.plugin.PluginLoader;
import io.wsproxy.spi.ProxyPlugin;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The jars the build ships load through PF4J, in their own class loader, against the host's SPI. */
@Timeout(30)
class RealPluginJarsTest {
    @TempDir
    Path dir;

    @Test
    void theBuiltRelayJarLoadsAsTheRelayPlugin() throws Exception {
        try (PluginLoader loader = PluginLoader.load(TestPlugins.pluginsFolder(dir))) {
            List<ProxyPlugin> plugins = loader.plugins();
            assertEquals(List.of("relay"), plugins.stream().map(ProxyPlugin::name).toList());
            ProxyPlugin relay = plugins.get(0);
            assertEquals("io.wsproxy.relay.RelayPlugin", relay.getClass().getName());
            assertNotSame(ProxyPlugin.class.getClassLoader(), relay.getClass().getClassLoader(),
                    "the plugin's classes come from its jar, not the application class path");
            assertThrows(ClassNotFoundException.class, () -> Class.forName("io.wsproxy.relay.RelayPlugin"),
                    "the relay module must not be on the app's class path");
        }
    }
}
