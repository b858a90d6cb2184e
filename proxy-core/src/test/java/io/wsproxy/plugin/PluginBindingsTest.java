package io.wsproxy.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wsproxy.config.ConfigException;
import io.wsproxy.config.ConfigLoader;
import io.wsproxy.config.Rule;
import io.wsproxy.spi.HandshakeResult;
import io.wsproxy.spi.ProxyPlugin;
import io.wsproxy.spi.RuleInfo;
import io.wsproxy.spi.UpgradeRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A plugin that fails to read a rule's options, however it fails, is a rules file error at the rule's options. */
@Timeout(10)
class PluginBindingsTest {
    private static final List<Rule> RULES = ConfigLoader.parse("""
            rules:
              - name: chat
                pattern: ^/chat
                plugin: failing
                options:
                  size: 1
            """, Path.of("rules.yaml")).rules();

    @Test
    void optionsThePluginFailsToReadWithAnExceptionAreAnErrorAtTheOptions() {
        ConfigException e = assertThrows(ConfigException.class, () -> bindTo(new IllegalStateException("bug")));

        assertEquals("rules.yaml:5: rules (chat).options: plugin 'failing' failed to read its options: "
                + "java.lang.IllegalStateException: bug", e.getMessage());
    }

    /** A class the plugin needs and its jar does not carry: an Error, not an Exception. */
    @Test
    void optionsThePluginFailsToReadForAMissingClassAreAnErrorAtTheOptions() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> bindTo(new NoClassDefFoundError("com/example/Missing")));

        assertEquals("rules.yaml:5: rules (chat).options: plugin 'failing' failed to read its options: "
                + "java.lang.NoClassDefFoundError: com/example/Missing", e.getMessage());
    }

    /** An options parser that recurses without end: the stack unwinds, the JVM is sound. */
    @Test
    void optionsThePluginOverflowsItsStackOnAreAnErrorAtTheOptions() {
        ConfigException e = assertThrows(ConfigException.class, () -> bindTo(new StackOverflowError()));

        assertEquals("rules.yaml:5: rules (chat).options: plugin 'failing' failed to read its options: "
                + "java.lang.StackOverflowError", e.getMessage());
    }

    private static void bindTo(Throwable failure) {
        PluginBindings.bind(RULES, PluginRegistry.of(List.of(new FailingPlugin(failure))));
    }

    private record FailingPlugin(Throwable failure) implements ProxyPlugin {
        @Override
        public String name() {
            return "failing";
        }

        @Override
        public Object parseOptions(RuleInfo rule, Map<String, Object> options) {
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            throw (Error) failure;
        }

        @Override
        public CompletionStage<HandshakeResult> handshake(UpgradeRequest request) {
            throw new UnsupportedOperationException();
        }
    }
}
