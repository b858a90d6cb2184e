package io.undertow.client.http;

import io.undertow.client.ClientConnection;
import io.wsproxy.upstream.HeadLines;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.ConduitReadableByteChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;
import org.xnio.conduits.Conduits;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Reads a target's response heads ahead of Undertow's client parser, a line at a time, and hands that parser only
 * what it should see:
 * <ul>
 * <li>interim responses (1xx but 101, RFC 9110 15.2) are dropped: the parser skips a 100 Continue itself but takes
 * any other, such as a 103 Early Hints, for the final response, and the real one behind it never reached the
 * client (a proxy may drop interim responses it does not relay; nginx before 1.29 did);</li>
 * <li>a line that is not HTTP ({@link HeadLines}: a malformed status line, a space before a colon, a folded line, a
 * bare CR) fails the read with an IOException naming it, so the forwarder's 502 says why; given to the parser,
 * it made a ClosedChannelException and an ERROR with a stack trace per response;</li>
 * <li>lines go on ending in CRLF, as the parser wants them, also when the target ended them in a bare LF (which
 * RFC 9112 2.2 lets a recipient accept).</li>
 * </ul>
 * After the final head's blank line everything passes untouched. It sits above {@link ResponseHeadLimit}, which
 * counts the dropped heads too and so bounds the line held here.
 */
public final class ResponseHeadFilter extends AbstractStreamSourceConduit<StreamSourceConduit> {
    private static final int SCRATCH_BYTES = 4096;
    private static final byte[] CRLF = {'\r', '\n'};

    /** The final head is through: everything passes. */
    private boolean passing;
    /** The next line is a status line (a head begins). */
    private boolean atStatusLine = true;
    /** The head being read is an interim one, dropped. */
    private boolean interim;
    /** The line being read, up to its LF. */
    private byte[] line = new byte[256];
    private int lineLength;
    /** Lines checked and not yet given out, then what came after the final head in the same read. */
    private byte[] out = new byte[512];
    private int outStart;
    private int outEnd;
    /**
     * Where in {@code out} the final head ends, until it is given out; -1 otherwise. A read stops there: Undertow's
     * parser pushes what it read past the head back into a conduit below this one, whose bytes would then come
     * after those still here, which follow them.
     */
    private int headEnd = -1;
    private ByteBuffer scratch;

    ResponseHeadFilter(StreamSourceConduit next) {
        super(next);
    }

    /** Puts the filter above {@code connection}'s current conduits (after {@link ResponseHeadLimit#apply}). */
    public static void apply(ClientConnection connection) {
        ConduitStreamSourceChannel source = ResponseHeadLimit.sourceOf(connection);
        if (source != null) {
            source.setConduit(new ResponseHeadFilter(source.getConduit()));
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (passing && outStart == outEnd) {
            return next.read(dst);
        }
        int given = givePending(dst);
        while (!passing && dst.hasRemaining()) {
            if (scratch == null) {
                scratch = ByteBuffer.allocate(SCRATCH_BYTES);
            }
            scratch.clear();
            int n = next.read(scratch);
            if (n == -1) {
                // ended inside a head: what was checked went on, the parser sees the end and says so
                passing = true;
                return given == 0 ? -1 : given;
            }
            if (n == 0) {
                break;
            }
            scratch.flip();
            readLines();
            given += givePending(dst);
        }
        return given;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offs, int len) throws IOException {
        if (passing && outStart == outEnd) {
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
        if (passing && outStart == outEnd) {
            return next.transferTo(position, count, target);
        }
        return target.transferFrom(new ConduitReadableByteChannel(this), position, count);
    }

    @Override
    public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target) throws IOException {
        if (passing && outStart == outEnd) {
            return next.transferTo(count, throughBuffer, target);
        }
        return Conduits.transfer(this, count, throughBuffer, target);
    }

    // Bytes held here would not make the socket readable again: a reader waiting for them is woken at once.

    @Override
    public void resumeReads() {
        if (outStart < outEnd) {
            next.wakeupReads();
        } else {
            next.resumeReads();
        }
    }

    @Override
    public void awaitReadable() throws IOException {
        if (outStart == outEnd) {
            next.awaitReadable();
        }
    }

    @Override
    public void awaitReadable(long time, TimeUnit timeUnit) throws IOException {
        if (outStart == outEnd) {
            next.awaitReadable(time, timeUnit);
        }
    }

    /** Takes the scratch buffer's bytes line by line until the final head is through; the rest goes out as it is. */
    private void readLines() throws IOException {
        while (!passing && scratch.hasRemaining()) {
            byte b = scratch.get();
            if (lineLength == line.length) {
                line = Arrays.copyOf(line, line.length * 2);
            }
            line[lineLength++] = b;
            if (b == '\n') {
                lineDone();
            }
        }
        if (passing && scratch.hasRemaining()) {
            keep(scratch.array(), scratch.position(), scratch.remaining());
            scratch.position(scratch.limit());
        }
    }

    private void lineDone() throws IOException {
        int length = lineLength - 1;
        if (length > 0 && line[length - 1] == '\r') {
            length--;
        }
        lineLength = 0;
        String text = new String(line, 0, length, StandardCharsets.ISO_8859_1);
        if (atStatusLine) {
            String problem = HeadLines.statusLineProblem(text);
            if (problem != null) {
                throw new IOException(problem);
            }
            int status = HeadLines.status(text);
            interim = status < 200 && status != 101; // a 101 on a plain request: the forwarder answers it
            atStatusLine = false;
        } else if (length == 0) {
            if (interim) {
                atStatusLine = true;
                return;
            }
            passing = true;
            keep(CRLF, 0, 2);
            headEnd = outEnd;
            return;
        } else {
            String problem = HeadLines.headerLineProblem(text);
            if (problem != null) {
                throw new IOException(problem);
            }
        }
        if (!interim) {
            keep(line, 0, length);
            keep(CRLF, 0, 2);
        }
    }

    private void keep(byte[] bytes, int offset, int length) {
        if (outStart == outEnd) {
            outStart = 0;
            outEnd = 0;
        }
        if (outEnd + length > out.length) {
            out = Arrays.copyOf(out, Math.max(out.length * 2, outEnd + length));
        }
        System.arraycopy(bytes, offset, out, outEnd, length);
        outEnd += length;
    }

    private int givePending(ByteBuffer dst) {
        int limit = headEnd > outStart ? headEnd : outEnd;
        int n = Math.min(limit - outStart, dst.remaining());
        dst.put(out, outStart, n);
        outStart += n;
        if (outStart == headEnd) {
            headEnd = -1; // read() gives nothing more this time: passing, it gives out once per call
        }
        return n;
    }
}
