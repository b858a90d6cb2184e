package io.wsproxy.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wsproxy.spi.UpstreamException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The queue and state machine while an upstream is being dialled; the open state is covered end to end. */
class UpstreamLinkTest {
    private final List<String> events = new ArrayList<>();
    private final UpstreamLink.Events recorder = new UpstreamLink.Events() {
        @Override
        public void opened(UpstreamLink link) {
            events.add("opened");
        }

        @Override
        public void dialFailed(UpstreamLink link, int status, String message, int unsent) {
            events.add("failed " + status + " " + unsent);
        }

        @Override
        public void lost(UpstreamLink link, int code, String reason) {
            events.add("lost");
        }

        @Override
        public void text(UpstreamLink link, byte[] data, int length) {
        }

        @Override
        public void binary(UpstreamLink link, byte[] data, int length) {
        }
    };

    /** Offers {@code text}'s UTF-8 bytes from the middle of a larger array, as a client message's request is. */
    private static UpstreamLink.Offer offer(UpstreamLink link, String text) {
        byte[] bytes = ("[" + text + "]").getBytes(StandardCharsets.UTF_8);
        return link.offer(bytes, 1, bytes.length - 2);
    }

    private UpstreamLink link(UpstreamLink.Role role, long queueBytes) {
        return new UpstreamLink(role, "wss://a.example", queueBytes, 1 << 20, Runnable::run, recorder);
    }

    @Test
    void bytesWaitingForTheDialCountAgainstTheQueue() {
        UpstreamLink link = link(UpstreamLink.Role.FORWARDED, 10);
        assertEquals(UpstreamLink.Offer.ACCEPTED, offer(link, "12345"));
        assertEquals(UpstreamLink.Offer.FULL, offer(link, "123456"));
        assertEquals(UpstreamLink.Offer.ACCEPTED, offer(link, "abcde"));
        assertEquals(UpstreamLink.Offer.FULL, offer(link, "x"));
        assertEquals(10, link.pendingBytes());
    }

    @Test
    void multiByteCharactersCountAsTheirUtf8Size() {
        UpstreamLink link = link(UpstreamLink.Role.FORWARDED, 5);
        assertEquals(UpstreamLink.Offer.FULL, offer(link, "€€"));
        assertEquals(UpstreamLink.Offer.ACCEPTED, offer(link, "é€"));
    }

    @Test
    void theTargetIsNeverRefusedButReportsItIsOverItsLimit() {
        UpstreamLink link = link(UpstreamLink.Role.TARGET, 4);
        assertEquals(UpstreamLink.Offer.ACCEPTED, offer(link, "12345"));
        assertTrue(link.overLimit());
    }

    @Test
    void aFailedDialHandsBackEveryWaitingMessageInOrderWithItsStatus() {
        UpstreamLink link = link(UpstreamLink.Role.FORWARDED, 100);
        offer(link, "{\"n\":1}");
        offer(link, "{\"n\":2}");
        link.dialing(CompletableFuture.failedFuture(new UpstreamException(504, "timed out", null)));
        assertEquals(List.of("failed 504 2"), events);
        assertEquals(UpstreamLink.Offer.CLOSED, offer(link, "late"));
        assertEquals(0, link.pendingBytes());
    }

    @Test
    void anUnexpectedDialErrorIsA502() {
        UpstreamLink link = link(UpstreamLink.Role.FORWARDED, 100);
        link.dialing(CompletableFuture.failedFuture(new ConnectException("refused")));
        assertEquals(List.of("failed 502 0"), events);
    }

    @Test
    void aLinkClosedWhileDiallingReportsNothing() {
        UpstreamLink link = link(UpstreamLink.Role.FORWARDED, 100);
        offer(link, "x");
        link.close(1001, "client left");
        link.dialing(CompletableFuture.failedFuture(new ConnectException("refused")));
        assertEquals(List.of(), events);
    }

    @Test
    void drainedRunsAtOnceWhenNothingWaits() {
        UpstreamLink link = link(UpstreamLink.Role.TARGET, 4);
        boolean[] ran = {false};
        link.whenDrained(() -> ran[0] = true);
        assertTrue(ran[0]);
    }
}
