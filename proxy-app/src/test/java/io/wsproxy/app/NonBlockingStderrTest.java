package io.wsproxy.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Logging threads never wait for stderr's reader: over a real OS pipe that nobody reads (its kernel buffer is
 * 64 KiB), twice the buffer's capacity of log lines is written at once; what does not fit is dropped whole and
 * counted, and once the pipe is read everything kept arrives in order, followed by the count.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NonBlockingStderrTest {
    private static final Pattern DROPPED = Pattern.compile("wsproxy: (\\d+) log lines dropped");

    @Test
    void aStalledReaderCostsDroppedLinesNeverABlockedWriter() throws Exception {
        Pipe pipe = Pipe.open();
        NonBlockingStderr stderr = new NonBlockingStderr(Channels.newOutputStream(pipe.sink()));
        PrintStream err = new PrintStream(stderr, true, StandardCharsets.UTF_8);
        String padding = "x".repeat(100);
        int lines = 2 * NonBlockingStderr.CAPACITY / 110;
        for (int i = 0; i < lines; i++) {
            err.println(String.format("%08d %s", i, padding)); // blocks forever here without the buffer
        }

        String out = readUntilDropNotice(pipe);
        Matcher notice = DROPPED.matcher(out);
        assertTrue(notice.find(), "no drop notice");
        String[] kept = out.substring(0, notice.start()).split("\n");
        long dropped = Long.parseLong(notice.group(1));
        assertEquals(lines, kept.length + dropped, "every line either arrives or is counted");
        assertEquals(dropped, stderr.droppedTotal(), "what the metrics show");
        assertTrue(dropped > 0 && kept.length > NonBlockingStderr.CAPACITY / 110 / 2, kept.length + " kept");
        for (int i = 0; i < kept.length; i++) {
            assertEquals(String.format("%08d %s", i, padding), kept[i], "lines arrive whole and in order");
        }
        stderr.drain(Duration.ofSeconds(5));
    }

    @Test
    void drainWaitsForWhatIsBufferedToBeWritten() throws Exception {
        Pipe pipe = Pipe.open();
        NonBlockingStderr stderr = new NonBlockingStderr(Channels.newOutputStream(pipe.sink()));
        InputStream in = Channels.newInputStream(pipe.source());
        byte[] line = "the last line\n".getBytes(StandardCharsets.UTF_8);
        stderr.write(line, 0, line.length);
        stderr.drain(Duration.ofSeconds(10)); // the pipe has room: the writer thread gets it all out
        assertEquals("the last line\n", new String(in.readNBytes(line.length), StandardCharsets.UTF_8));
    }

    @Test
    void linesToAStderrNobodyReadsAnyMoreAreCounted() throws Exception {
        Pipe pipe = Pipe.open();
        NonBlockingStderr stderr = new NonBlockingStderr(Channels.newOutputStream(pipe.sink()));
        pipe.source().close(); // the reader is gone: writing fails
        byte[] line = "a line\n".getBytes(StandardCharsets.UTF_8);
        stderr.write(line, 0, line.length);
        stderr.drain(Duration.ofSeconds(10)); // returns once the writer found the pipe broken
        for (int i = 0; i < 10; i++) {
            stderr.write(line, 0, line.length);
        }
        assertEquals(10, stderr.droppedTotal(), "the lines after the break are counted");
    }

    private static String readUntilDropNotice(Pipe pipe) throws IOException {
        InputStream in = Channels.newInputStream(pipe.source());
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        while (!DROPPED.matcher(seen.toString(StandardCharsets.UTF_8)).find() || !seen.toString(
                StandardCharsets.UTF_8).endsWith("\n")) {
            int n = in.read(buffer);
            if (n < 0) {
                break;
            }
            seen.write(buffer, 0, n);
        }
        return seen.toString(StandardCharsets.UTF_8);
    }
}
