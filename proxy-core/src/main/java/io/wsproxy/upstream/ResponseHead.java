package io.wsproxy.upstream;

import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The status line and header fields of an HTTP/1.1 response, read as ISO-8859-1. Lines end in CRLF or, as RFC
 * 9112 lets a recipient accept, a bare LF; a blank line ends the head.
 */
record ResponseHead(int status, String reason, HeaderMap headers) {

    /**
     * Where the head ends in {@code buffer}'s bytes {@code [0, limit)}: the index just past its blank line, or -1
     * when it has not all arrived. {@code from} is where an earlier call stopped looking, so a head that trickles
     * in is scanned once.
     */
    static int end(ByteBuffer buffer, int from, int limit) {
        for (int i = Math.max(from, 1); i < limit; i++) {
            if (buffer.get(i) == '\n') {
                byte before = buffer.get(i - 1);
                if (before == '\n' || before == '\r' && i >= 2 && buffer.get(i - 2) == '\n') {
                    return i + 1;
                }
            }
        }
        return -1;
    }

    /** Parses {@code buffer}'s bytes {@code [0, end)}, which {@link #end} found to be a whole head. */
    static ResponseHead parse(ByteBuffer buffer, int end) throws IOException {
        byte[] bytes = new byte[end];
        buffer.get(0, bytes);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int lineEnd = text.indexOf('\n');
        String statusLine = strip(text, 0, lineEnd);
        String problem = HeadLines.statusLineProblem(statusLine);
        if (problem != null) {
            throw new IOException(problem);
        }
        int status = HeadLines.status(statusLine);
        String reason = statusLine.length() > 13 ? statusLine.substring(13) : "";
        HeaderMap headers = new HeaderMap();
        for (int start = lineEnd + 1; ; ) {
            int next = text.indexOf('\n', start);
            String line = strip(text, start, next);
            if (line.isEmpty()) {
                return new ResponseHead(status, reason, headers);
            }
            problem = HeadLines.headerLineProblem(line);
            if (problem != null) {
                throw new IOException(problem);
            }
            int colon = line.indexOf(':');
            headers.add(HttpString.tryFromString(line.substring(0, colon)), line.substring(colon + 1).strip());
            start = next + 1;
        }
    }

    /** The line from {@code start} to the LF at {@code lf}, without its CR. */
    private static String strip(String text, int start, int lf) {
        int end = lf > start && text.charAt(lf - 1) == '\r' ? lf - 1 : lf;
        return text.substring(start, end);
    }
}
