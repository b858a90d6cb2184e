package io.wsproxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CloseCodesTest {
    @Test
    void reservedCodesNeverGoOnTheWire() {
        assertEquals(1014, CloseCodes.sendable(1006, true));
        assertEquals(1001, CloseCodes.sendable(1006, false));
        assertEquals(1000, CloseCodes.sendable(1005, true));
        assertEquals(4001, CloseCodes.sendable(4001, true));
    }

    @Test
    void longReasonsAreCutToFitAControlFrameWithoutSplittingACharacter() {
        String url = "wss://" + "é".repeat(200) + ".example";
        String reason = CloseCodes.upstreamClosed(url);
        assertTrue(reason.getBytes(StandardCharsets.UTF_8).length <= 123);
        assertTrue(reason.startsWith("upstream closed: wss://é"));
        assertEquals("upstream closed: ws://a", CloseCodes.upstreamClosed("ws://a"));
        assertEquals(10, Utf8.length("aé€😀"));
    }
}
