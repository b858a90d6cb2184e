package io.wsproxy.forward;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;

/**
 * How the plugin reads JSON texts, in both directions: one parser factory and the check that a text is UTF-8 at all.
 *
 * <p>Numbers, names and strings may be as long as a message (which {@code maxMessageBytes} bounds): they are skipped
 * or located, never converted, so Jackson's default caps (1,000 digits, 50,000-character names) would only refuse
 * valid JSON. Nesting stays capped: each level costs the parser an object, so a message of brackets would cost the
 * heap many times its size.
 */
final class JsonTexts {
    static final int MAX_NESTING = 1000;
    static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNumberLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNestingDepth(MAX_NESTING)
                    .build())
            .build();

    private JsonTexts() {
    }

    /** A parser over the first {@code length} bytes of {@code text}, which {@link #couldBeUtf8Json} let through. */
    static JsonParser parser(byte[] text, int length) throws IOException {
        return FACTORY.createParser(text, 0, length);
    }

    /**
     * The parser guesses the encoding from the first bytes: a byte order mark, or a NUL among the first four bytes,
     * would have it read UTF-16 or UTF-32, or skip the mark, and pass bytes that are not JSON as UTF-8. JSON in
     * UTF-8 has neither, so such a text is not JSON.
     */
    static boolean couldBeUtf8Json(byte[] text, int length) {
        if (length >= 3 && text[0] == (byte) 0xef && text[1] == (byte) 0xbb && text[2] == (byte) 0xbf) {
            return false;
        }
        for (int i = 0, end = Math.min(4, length); i < end; i++) {
            if (text[i] == 0) {
                return false;
            }
        }
        return true;
    }
}
