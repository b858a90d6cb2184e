package io.wsproxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wsproxy.testing.RawHttp;
import io.wsproxy.testing.TestProxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a client sends reaches the access log only in a form that cannot start or split a line. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AccessLogTest {
    private static final String NO_MATCH = """
              - name: none
                pattern: "^/never$"
                target: "http://127.0.0.1:9"
                ws: false
            """;

    @Test
    void controlBytesInAPathAreLoggedPercentEncodedNotAsALineBreak() throws Exception {
        try (TestProxy proxy = TestProxy.start(NO_MATCH);
             Socket client = RawHttp.connect(proxy)) {
            // the parser takes every byte but a space into the path, so a raw LF there would start a line of the
            // client's making in the log
            String forged = "/x\r\nrule=admin\tclient=/10.0.0.1:1\tmethod=GET\tpath=/secret\té";
            client.getOutputStream().write(("GET " + forged + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            assertTrue(RawHttp.readToEnd(client.getInputStream()).startsWith("HTTP/1.1 400 "));
            HttpAccessLogEntry logged = proxy.nextHttpAccessLog();
            assertEquals(400, logged.status());
            assertEquals("/x%0D%0Arule=admin%09client=/10.0.0.1:1%09method=GET%09path=/secret%09%E9", logged.path());
        }
    }
}
