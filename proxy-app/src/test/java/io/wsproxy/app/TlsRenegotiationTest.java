package io.wsproxy.app;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.wsproxy.testing.RawHttp;
import io.wsproxy.testing.TestTls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TLS 1.2 client that starts a second handshake on its connection is refused at once, as nginx does, rather
 * than left without an answer until keepAliveTimeout closes it (in a JVM of its own: the JDK reads the setting once).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsRenegotiationTest {
    @TempDir
    Path dir;

    @Test
    void aClientInitiatedRenegotiationIsRefusedAtOnce() throws Exception {
        String yaml = "server: { host: 127.0.0.1, " + TestTls.get().serverFields(dir) + " }\n"
                + "rules:\n  - { name: echo, pattern: \"^/echo$\", plugin: echo }\n";
        try (ChildProxy proxy = ChildProxy.start(dir, yaml);
             SSLSocket tls = (SSLSocket) TestTls.get().client().getSocketFactory().createSocket("localhost",
                     proxy.awaitPort())) {
            tls.setEnabledProtocols(new String[] {"TLSv1.2"}); // TLS 1.3 has no renegotiation
            tls.setSoTimeout(RawHttp.READ_TIMEOUT_MS); // far below the default keepAliveTimeout of 60 s
            tls.startHandshake();
            tls.startHandshake(); // on an established session: a renegotiation
            assertThrows(SSLException.class, () -> {
                tls.getOutputStream().write("GET /echo HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                RawHttp.readHead(tls.getInputStream());
            });
        }
    }
}
