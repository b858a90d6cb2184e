package io.undertow.client.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import java.nio.channels.FileChannel;
import java.util.concurrent.TimeUnit;
import org.xnio.XnioIoThread;
import org.xnio.XnioWorker;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.ReadReadyHandler;
import org.xnio.conduits.StreamSourceConduit;

/**
 * The filter over a source that hands out a target's bytes in every split a socket might: each part in its own
 * read, with a read that finds nothing between parts, and read into buffers of a few sizes. What comes out must be
 * the final response, byte for byte (its head's lines ending in CRLF), whatever the splits; what is not HTTP fails
 * the read. (HttpUpstreamHeadsTest has the same through the proxy.)
 */
class ResponseHeadFilterTest {
    private static final String FINAL = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @Test
    void interimResponsesAreDroppedAtEverySplit() throws IOException {
        assertAtEverySplit("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 100 Continue\r\n\r\n" + FINAL, FINAL);
    }

    @Test
    void interimResponsesWithoutAReasonOrWithBareLineFeedsAreDropped() throws IOException {
        assertAtEverySplit("HTTP/1.1 103\r\n\r\nHTTP/1.0 199 Whatever\nA: b\n\n" + FINAL, FINAL);
        assertAtEverySplit("HTTP/1.1 102\n\n" + FINAL, FINAL);
    }

    @Test
    void aFinalHeadOfBareLineFeedsGoesOnInCrlf() throws IOException {
        assertAtEverySplit("HTTP/1.1 200 OK\nContent-Length: 2\n\nok", FINAL);
    }

    @Test
    void whatFollowsTheFinalHeadPassesUntouched() throws IOException {
        String body = "HTTP/1.1 103 x\r\nX : y\n\n\r";
        String response = "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        assertAtEverySplit(response, response);
        String switching = "HTTP/1.1 101 Switching Protocols\r\n\r\nbytes";
        assertAtEverySplit(switching, switching);
    }

    @Test
    void linesThatAreNotHttpFailTheRead() {
        assertRefusedAtEverySplit("HTTP/1.1 1030 Odd\r\n\r\n", "malformed status line \"HTTP/1.1 1030 Odd\"");
        assertRefusedAtEverySplit("HTTP/2 200 OK\r\n\r\n", "malformed status line");
        assertRefusedAtEverySplit("garbage\r\n\r\n", "malformed status line \"garbage\"");
        assertRefusedAtEverySplit("HTTP/1.1 200 OK\r\nX-Bad : x\r\n\r\n", "malformed header line \"X-Bad : x\"");
        assertRefusedAtEverySplit("HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", "folded header line");
        assertRefusedAtEverySplit("HTTP/1.1 200 OK\r\nA: b\rC: d\r\n\r\n", "malformed header line \"A: b?C: d\"");
        // in an interim head as much as in the final one
        assertRefusedAtEverySplit("HTTP/1.1 103 Early\r\nLink : x\r\n\r\n" + FINAL, "malformed header line");
    }

    @Test
    void aTargetThatEndsInAHeadGivesWhatWasCheckedThenTheEnd() throws IOException {
        assertAtEverySplit("HTTP/1.1 103 Early Hints\r\nLink: </a.css>", "");
        assertAtEverySplit("HTTP/1.1 10", "");
        assertAtEverySplit("HTTP/1.1 200 OK\r\nA: b", "HTTP/1.1 200 OK\r\n");
    }

    /**
     * Undertow's parser reads into 16 KiB, takes the head, and pushes what followed it back into a conduit below this
     * one: the body must come out in order all the same, however the head was split on its way.
     */
    @Test
    void whatTheParserPushesBackAfterTheHeadStaysInOrder() throws IOException {
        byte[] body = new byte[8000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i % 251);
        }
        // a header line of about the parser's 16 KiB: the head's end comes in a read that fills its buffer
        for (int big : new int[] {15_900, 16_100, 20_000}) {
            byte[] head = ("HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(big) + "\r\nContent-Length: 8000\r\n\r\n")
                    .getBytes(ISO_8859_1);
            byte[] response = Arrays.copyOf(head, head.length + body.length);
            System.arraycopy(body, 0, response, head.length, body.length);
            for (int split : new int[] {100, 2000, 3000, 10_000}) {
                ScriptedSource source = new ScriptedSource(List.of(slice(response, 0, split),
                        slice(response, split, response.length)));
                assertArrayEquals(body, bodyAsTheParserReadsIt(source), "split at " + split + ", line of " + big);
            }
        }
    }

    /** Reads as Undertow's client does: a head into 16 KiB buffers, what came after it pushed back, then the body. */
    private static byte[] bodyAsTheParserReadsIt(ScriptedSource source) throws IOException {
        ResponseHeadFilter filter = new ResponseHeadFilter(source);
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        ByteBuffer dst = ByteBuffer.allocate(16 * 1024);
        int headEnd = -1;
        for (int reads = 0; headEnd < 0; reads++) {
            assertTrue(reads < 100, "no head after " + reads + " reads");
            dst.clear();
            int n = filter.read(dst);
            assertTrue(n >= 0, "the end before the head");
            read.write(dst.array(), 0, n);
            headEnd = read.toString(ISO_8859_1).indexOf("\r\n\r\n");
        }
        byte[] taken = read.toByteArray();
        source.pushBack(Arrays.copyOfRange(taken, headEnd + 4, taken.length));
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int n = 0, reads = 0; n != -1; reads++) {
            assertTrue(reads < 100, "no end after " + reads + " reads");
            dst.clear();
            n = filter.read(dst);
            body.write(dst.array(), 0, Math.max(n, 0));
        }
        return body.toByteArray();
    }

    private static void assertAtEverySplit(String input, String expected) throws IOException {
        byte[] bytes = input.getBytes(ISO_8859_1);
        for (int readSize : new int[] {1, 5, 4096}) {
            assertEquals(expected, readAll(List.of(bytes), readSize), "whole, read " + readSize);
            List<byte[]> single = new ArrayList<>();
            for (byte b : bytes) {
                single.add(new byte[] {b});
            }
            assertEquals(expected, readAll(single, readSize), "a byte at a time, read " + readSize);
            for (int split = 1; split < bytes.length; split++) {
                List<byte[]> parts = List.of(slice(bytes, 0, split), slice(bytes, split, bytes.length));
                assertEquals(expected, readAll(parts, readSize), "split at " + split + ", read " + readSize);
            }
        }
    }

    private static void assertRefusedAtEverySplit(String input, String messageStart) {
        byte[] bytes = input.getBytes(ISO_8859_1);
        for (int readSize : new int[] {1, 5, 4096}) {
            for (int split = 1; split < bytes.length; split++) {
                List<byte[]> parts = List.of(slice(bytes, 0, split), slice(bytes, split, bytes.length));
                IOException refused = assertThrows(IOException.class, () -> readAll(parts, readSize),
                        "split at " + split + ", read " + readSize);
                assertTrue(refused.getMessage().startsWith(messageStart), refused.getMessage());
            }
        }
    }

    private static String readAll(List<byte[]> parts, int readSize) throws IOException {
        ResponseHeadFilter filter = new ResponseHeadFilter(new ScriptedSource(parts));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer dst = ByteBuffer.allocate(readSize);
        // every part is one read, with one that finds nothing after it: bounded by twice the parts, and some
        int reads = 0;
        for (int n = 0; n != -1; reads++) {
            if (reads > 4 * parts.size() + 4 * out.size() + 10) {
                throw new AssertionError("no end after " + reads + " reads");
            }
            dst.clear();
            n = filter.read(dst);
            out.write(dst.array(), 0, dst.position());
            assertEquals(Math.max(n, 0), dst.position(), "the count returned is what was put in the buffer");
        }
        return out.toString(ISO_8859_1);
    }

    private static byte[] slice(byte[] bytes, int from, int to) {
        byte[] part = new byte[to - from];
        System.arraycopy(bytes, from, part, 0, part.length);
        return part;
    }

    /** Gives each part in a read of its own (less when the buffer is smaller), then a read of nothing, then the end. */
    private static final class ScriptedSource implements StreamSourceConduit {
        private final ArrayDeque<ByteBuffer> parts = new ArrayDeque<>();
        private boolean pause;

        ScriptedSource(List<byte[]> parts) {
            parts.forEach(part -> this.parts.add(ByteBuffer.wrap(part)));
        }

        /** As Undertow's client pushes back what it read past a head: given out first, at once. */
        void pushBack(byte[] bytes) {
            if (bytes.length > 0) {
                parts.addFirst(ByteBuffer.wrap(bytes));
                pause = false;
            }
        }

        @Override
        public int read(ByteBuffer dst) {
            if (pause) {
                pause = false;
                return 0;
            }
            ByteBuffer part = parts.peek();
            if (part == null) {
                return -1;
            }
            int n = Math.min(part.remaining(), dst.remaining());
            dst.put(part.slice(part.position(), n));
            part.position(part.position() + n);
            if (!part.hasRemaining()) {
                parts.remove();
                pause = true;
            }
            return n;
        }

        @Override
        public long read(ByteBuffer[] dsts, int offs, int len) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long transferTo(long position, long count, FileChannel target) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void terminateReads() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isReadShutdown() {
            return false;
        }

        @Override
        public void resumeReads() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void suspendReads() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void wakeupReads() {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isReadResumed() {
            return false;
        }

        @Override
        public void awaitReadable() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void awaitReadable(long time, TimeUnit timeUnit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public XnioIoThread getReadThread() {
            return null;
        }

        @Override
        public void setReadReadyHandler(ReadReadyHandler handler) {
            throw new UnsupportedOperationException();
        }

        @Override
        public XnioWorker getWorker() {
            return null;
        }
    }
}
