package io.wsproxy.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wsproxy.config.ConfigException;
import io.wsproxy.config.ConfigLoader;
import io.wsproxy.config.ProxyConfig;
import io.wsproxy.plugin.PluginBindings;
import io.wsproxy.plugin.PluginRegistry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Errors only the plugins can find, reported like every other rules.yaml error: file, line, field. */
class RelayConfigErrorsTest {
    private static final PluginRegistry RELAY = PluginRegistry.of(List.of(new RelayPlugin()));

    private static String bindError(String rules) {
        ProxyConfig config = ConfigLoader.parse("rules:\n" + rules, Path.of("rules.yaml"));
        return assertThrows(ConfigException.class, () -> PluginBindings.bind(config.rules(), RELAY)).getMessage();
    }

    @Test
    void unknownPluginListsTheLoadedOnes() {
        assertEquals("rules.yaml:5: rules (chat).plugin: unknown plugin 'fancy'; loaded plugins: relay", bindError("""
                  - name: chat
                    pattern: "^/"
                    target: "ws://h:1"
                    plugin: fancy
                """));
    }

    @Test
    void unknownRelayOption() {
        assertEquals("rules.yaml:6: rules (chat).options.bufferSiz: unknown option 'bufferSiz' for plugin relay", bindError("""
                  - name: chat
                    pattern: "^/"
                    target: "ws://h:1"
                    options:
                      bufferSiz: 1KiB
                """));
    }

    @Test
    void badDurationNamesTheOption() {
        assertEquals("rules.yaml:5: rules (chat).options.connectTimeout: connectTimeout: expected a duration such as "
                + "10s, 500ms, 2m or a number of milliseconds, got 'soon'", bindError("""
                  - name: chat
                    pattern: "^/"
                    target: "ws://h:1"
                    options: { connectTimeout: soon }
                """));
    }

    @Test
    void durationTooLongForATimerNamesTheOption() {
        assertEquals("rules.yaml:5: rules (chat).options.closeTimeout: closeTimeout: duration too long: '1000h' "
                + "(at most 2147483647 ms, about 24 days)", bindError("""
                  - name: chat
                    pattern: "^/"
                    target: "ws://h:1"
                    options: { closeTimeout: 1000h }
                """));
    }

    @Test
    void relayWithoutTarget() {
        assertEquals("rules.yaml:2: rules (hub).options: the relay plugin needs the rule to have a target", bindError("""
                  - name: hub
                    pattern: "^/"
                """));
    }

    @Test
    void wsFalseRulesNeedNoPlugin() {
        ProxyConfig config = ConfigLoader.parse("""
                rules:
                  - name: api
                    pattern: "^/"
                    target: "http://h:1"
                    ws: false
                """, Path.of("rules.yaml"));
        // no plugin is loaded, and none is needed (naming one on such a rule is an error: ConfigErrorsTest)
        PluginBindings.bind(config.rules(), PluginRegistry.of(List.of()));
    }

    @Test
    void durationsAcceptEveryWrittenForm() throws Exception {
        RelayOptions options = (RelayOptions) new RelayPlugin().parseOptions(
                ConfigLoader.parse("rules:\n  - name: a\n    pattern: x\n    target: ws://h:1\n", Path.of("r.yaml")).rules().get(0),
                java.util.Map.of("connectTimeout", 1500, "closeTimeout", "2m", "maxMessageBytes", "16MiB"));
        assertEquals(java.time.Duration.ofMillis(1500), options.connectTimeout());
        assertEquals(java.time.Duration.ofMinutes(2), options.closeTimeout());
        assertEquals(16L << 20, options.maxMessageBytes());
    }
}
