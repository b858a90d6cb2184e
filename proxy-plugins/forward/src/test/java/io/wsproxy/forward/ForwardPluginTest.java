package io.wsproxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ForwardPluginTest {

    @Test
    void pf4jIndexNamesThePlugin() throws Exception {
        boolean found = false;
        for (URL index : Collections.list(getClass().getClassLoader().getResources("META-INF/extensions.idx"))) {
            try (InputStream in = index.openStream()) {
                found |= new String(in.readAllBytes(), StandardCharsets.UTF_8).contains(ForwardPlugin.class.getName());
            }
        }
        assertTrue(found, "without PF4J's annotation processor the plugin jar has no extensions");
    }

    @Test
    void rulesNameItForwardAndGetTheirOptionsBack() throws Exception {
        ForwardPlugin plugin = new ForwardPlugin();
        assertEquals("forward", plugin.name());
        Object options = plugin.parseOptions(TestRule.withTarget("ws://localhost:1"), Map.of("maxUpstreams", 2));
        assertEquals(2, assertInstanceOf(ForwardOptions.class, options).maxUpstreams());
    }
}
