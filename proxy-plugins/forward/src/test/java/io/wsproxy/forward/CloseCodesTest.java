package io.wsproxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CloseCodesTest {
    @Test
    void reservedCodesNeverGoOnTheWire() {
        assertEquals(1014, CloseCodes.sendable(1006, true));
        assertEquals(1001, CloseCodes.sendable(1006, false));
        assertEquals(1000, CloseCodes.sendable(1005, true));
        assertEquals(4001, CloseCodes.sendable(4001, true));
    }
}
