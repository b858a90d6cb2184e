package io.wsproxy.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wsproxy.testing.EchoBackend;
import io.wsproxy.testing.TestProxy;
import io.wsproxy.testing.TestTls;
import io.wsproxy.testing.WsClient;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The relay to a wss:// target: bytes spliced through TLS, and the target's certificate checked. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RelayTlsTest {

    @Test
    void relaysToAWssTargetAndRefusesOneWithAnotherName() throws Exception {
        try (EchoBackend backend = new EchoBackend(Set.of(), TestTls.get().server());
             TestProxy proxy = TestProxy.startWithTls(TestTls.get().client(),
                     RelayTest.rule("tls", "^/good$", "wss://localhost:" + backend.port(), "/", "")
                             + RelayTest.rule("wrong-name", "^/bad$", "wss://127.0.0.1:" + backend.port(), "/", ""),
                     new RelayPlugin())) {
            byte[] data = new byte[300_000];
            new Random(4).nextBytes(data);
            try (WsClient client = WsClient.connect(proxy.ws("/good"))) {
                client.sendBinary(data);
                assertArrayEquals(data, client.nextBinary());
                client.close(4001, "bye");
                assertEquals(new EchoBackend.Closed(4001, "bye"), backend.nextClose());
            }
            assertEquals(502, WsClient.handshakeStatus(proxy.ws("/bad")));
        }
    }
}
