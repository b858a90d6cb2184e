package io.undertow.client.http;

import io.undertow.client.ClientConnection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.TimeUnit;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.ConduitReadableByteChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;
import org.xnio.conduits.Conduits;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Drops the interim responses (1xx but 101, RFC 9110 15.2) a target may send before its final response, so that
 * Undertow's client parses the final one. The client skips a 100 Continue itself but takes any other, such as a 103
 * Early Hints, for the final response, and the real one behind it never reached the proxy's client. A proxy may drop
 * interim responses it does not relay; nginx before 1.29 did the same.
 *
 * <p>Only the beginning of each response head is looked at: once a final status line has begun (or bytes that are
 * not a status line), everything passes untouched. The bytes skipped still pass through the conduit below, so
 * {@link ResponseHeadLimit} counts them against the head's limit: an endless run of interim heads is a 502 too.
 */
public final class InterimResponseSkipper extends AbstractStreamSourceConduit<StreamSourceConduit> {
    /** "HTTP/1.1 103 ": enough of a status line to know its class. */
    private static final int STATUS_LINE_PREFIX = 13;
    private static final int SCRATCH_BYTES = 512;

    private enum Mode { INSPECT, SKIP, PASS }

    private Mode mode = Mode.INSPECT;
    /** The start of a status line read while its class is unknown: given out only when it is a final response. */
    private final byte[] held = new byte[STATUS_LINE_PREFIX];
    private int heldLength;
    /** Of {@code held}, what was given out since the decision. */
    private int heldGiven;
    /** In SKIP: the length of the header line being skipped (0 at a line's start, so a blank line ends the head). */
    private int lineLength;
    /** What was read past the decision to pass, given out before any new read. */
    private ByteBuffer scratch;

    InterimResponseSkipper(StreamSourceConduit next) {
        super(next);
    }

    /** Puts the skipper above {@code connection}'s current conduits (after {@link ResponseHeadLimit#apply}). */
    public static void apply(ClientConnection connection) {
        ConduitStreamSourceChannel source = ResponseHeadLimit.sourceOf(connection);
        if (source != null) {
            source.setConduit(new InterimResponseSkipper(source.getConduit()));
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (mode == Mode.PASS && !hasPending()) {
            return next.read(dst);
        }
        int given = givePending(dst);
        while (mode != Mode.PASS && dst.hasRemaining()) {
            if (scratch == null) {
                scratch = ByteBuffer.allocate(SCRATCH_BYTES);
            }
            scratch.clear();
            int n = next.read(scratch);
            if (n == -1) {
                // ended in an interim head: nothing; in a status line's first bytes: Undertow's parser gets them
                if (mode == Mode.SKIP) {
                    heldLength = 0;
                }
                pass();
                scratch.limit(0);
                given += givePending(dst);
                return given == 0 ? -1 : given;
            }
            if (n == 0) {
                break;
            }
            scratch.flip();
            inspect();
            given += givePending(dst);
        }
        return given;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offs, int len) throws IOException {
        if (mode == Mode.PASS && !hasPending()) {
            return next.read(dsts, offs, len);
        }
        for (int i = offs; i < offs + len; i++) {
            if (dsts[i].hasRemaining()) {
                return read(dsts[i]);
            }
        }
        return 0;
    }

    @Override
    public long transferTo(long position, long count, FileChannel target) throws IOException {
        if (mode == Mode.PASS && !hasPending()) {
            return next.transferTo(position, count, target);
        }
        return target.transferFrom(new ConduitReadableByteChannel(this), position, count);
    }

    @Override
    public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target) throws IOException {
        if (mode == Mode.PASS && !hasPending()) {
            return next.transferTo(count, throughBuffer, target);
        }
        return Conduits.transfer(this, count, throughBuffer, target);
    }

    // Bytes held here would not make the socket readable again: a reader waiting for them is woken at once.

    @Override
    public void resumeReads() {
        if (hasPending()) {
            next.wakeupReads();
        } else {
            next.resumeReads();
        }
    }

    @Override
    public void awaitReadable() throws IOException {
        if (!hasPending()) {
            next.awaitReadable();
        }
    }

    @Override
    public void awaitReadable(long time, TimeUnit timeUnit) throws IOException {
        if (!hasPending()) {
            next.awaitReadable(time, timeUnit);
        }
    }

    /** Consumes the scratch buffer up to the decision to pass; what follows it stays there, to be given out. */
    private void inspect() {
        while (mode != Mode.PASS && scratch.hasRemaining()) {
            byte b = scratch.get();
            if (mode == Mode.SKIP) {
                skip(b);
            } else {
                held[heldLength++] = b;
                classify();
            }
        }
    }

    private void skip(byte b) {
        if (b == '\n') {
            if (lineLength == 0) {
                mode = Mode.INSPECT;
                heldLength = 0;
            }
            lineLength = 0;
        } else if (b != '\r') {
            lineLength++;
        }
    }

    /** Decides, as soon as the held bytes allow, whether they begin an interim response, a final one or neither. */
    private void classify() {
        int i = heldLength - 1;
        byte b = held[i];
        boolean fits = i < 7 ? b == "HTTP/1.".charAt(i)
                : i == 7 ? isDigit(b)
                : i == 8 ? b == ' '
                : i == 9 ? b == '1'
                : i < 12 ? isDigit(b)
                : b == ' ' || b == '\r' || b == '\n'; // a reason phrase, or none
        if (!fits) {
            pass();
        } else if (heldLength == STATUS_LINE_PREFIX) {
            if (held[10] == '0' && held[11] == '1') {
                pass(); // 101 on a plain request: the forwarder answers that itself
            } else {
                mode = Mode.SKIP;
                lineLength = b == '\n' ? 0 : heldLength;
            }
        }
    }

    private void pass() {
        mode = Mode.PASS;
        heldGiven = 0;
    }

    private boolean hasPending() {
        return mode == Mode.PASS && (heldGiven < heldLength || scratch != null && scratch.hasRemaining());
    }

    private int givePending(ByteBuffer dst) {
        if (mode != Mode.PASS) {
            return 0;
        }
        int given = 0;
        int fromHeld = Math.min(heldLength - heldGiven, dst.remaining());
        dst.put(held, heldGiven, fromHeld);
        heldGiven += fromHeld;
        given += fromHeld;
        if (scratch != null && scratch.hasRemaining() && dst.hasRemaining()) {
            int fromScratch = Math.min(scratch.remaining(), dst.remaining());
            int limit = scratch.limit();
            scratch.limit(scratch.position() + fromScratch);
            dst.put(scratch);
            scratch.limit(limit);
            given += fromScratch;
        }
        return given;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }
}
