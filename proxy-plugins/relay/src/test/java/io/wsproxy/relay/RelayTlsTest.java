package io.wsproxy.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wsproxy.testing.EchoBackend;
import io.wsproxy.testing.TestProxy;
import io.wsproxy.testing.TestTls;
import io.wsproxy.testing.WsClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay over TLS: to a wss:// target (bytes spliced through TLS, the target's certificate checked), and from
 * wss:// clients of the proxy's own listener.
 */
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

    @Test
    void wssClientsOfTheProxysOwnCertificateReachAPlainTarget(@TempDir Path dir) throws Exception {
        try (EchoBackend backend = new EchoBackend(Set.of());
             TestProxy proxy = TestProxy.startWithServer(TestTls.get().serverFields(dir),
                     RelayTest.rule("plain", "^/chat$", "ws://127.0.0.1:" + backend.port(), "", ""), new RelayPlugin());
             WsClient client = WsClient.connect(proxy.wss("/chat"), TestTls.get().client())) {
            // a burst of small messages, then one message of many TLS records
            int count = 200;
            for (int i = 0; i < count; i++) {
                client.sendText("message " + i); // waits for the write only, not for the echo
            }
            for (int i = 0; i < count; i++) {
                assertEquals("message " + i, client.nextText());
            }
            byte[] data = new byte[300_000];
            new Random(5).nextBytes(data);
            client.sendBinary(data);
            assertArrayEquals(data, client.nextBinary());
            client.close(4002, "done");
            assertEquals(new EchoBackend.Closed(4002, "done"), backend.nextClose());
        }
    }

    @Test
    void aWssClientGoneWhileItsTargetIsDialledHasTheConnectDropped(@TempDir Path dir) throws Exception {
        // the watch reads through the listener's TLS: a client's close_notify or FIN ends the dial there too
        try (io.wsproxy.testing.BlackHole down = io.wsproxy.testing.BlackHole.open("127.0.0.1", 0);
             TestProxy proxy = TestProxy.startWithServer(TestTls.get().serverFields(dir),
                     RelayTest.rule("down", "^/", "ws://127.0.0.1:" + down.port(), "",
                             "    options: { connectTimeout: 60s }\n"), new RelayPlugin())) {
            javax.net.ssl.SSLSocket client = (javax.net.ssl.SSLSocket) TestTls.get().client().getSocketFactory()
                    .createSocket("localhost", proxy.wss("/").getPort());
            io.wsproxy.testing.RawHttp.send(client, io.wsproxy.testing.RawHttp.upgradeRequest("/"));
            io.wsproxy.testing.KernelSockets.awaitConnecting(down.port(), 1);

            client.close();

            io.wsproxy.testing.KernelSockets.awaitConnecting(down.port(), 0);
            assertEquals(499, proxy.nextHttpAccessLog().status());
        }
    }

    @Test
    void targetsOfAPrivateCaAreTrustedThroughUpstreamCaAndAReloadRereadsIt(@TempDir Path dir) throws Exception {
        Path ca = TestTls.get().writePem(dir)[0]; // self-signed: the certificate is its own CA
        try (EchoBackend backend = new EchoBackend(Set.of(), TestTls.get().server())) {
            String rule = RelayTest.rule("private", "^/private$", "wss://localhost:" + backend.port(), "/", "");
            try (TestProxy proxy = TestProxy.startWithServer("upstreamCa: '" + ca + "'", rule, new RelayPlugin());
                 TestProxy jvmTrust = TestProxy.start(rule, new RelayPlugin())) {
                try (WsClient client = WsClient.connect(proxy.ws("/private"))) {
                    client.sendText("trusted");
                    assertEquals("trusted", client.nextText());
                }
                assertEquals(502, WsClient.handshakeStatus(jvmTrust.ws("/private")), "the JVM's trust store knows no such CA");

                // another CA in the same file: after a reload the target's certificate chains to nothing trusted
                Files.writeString(ca, TestTls.pem("CERTIFICATE", TestTls.generate().certificate().getEncoded()));
                proxy.reload(rule);
                assertEquals(502, WsClient.handshakeStatus(proxy.ws("/private")));
            }
        }
    }
}
