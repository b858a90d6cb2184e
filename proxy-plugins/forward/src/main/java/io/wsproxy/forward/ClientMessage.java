package io.wsproxy.forward;

/** What one client text message is, as far as the forward protocol cares. */
public sealed interface ClientMessage {

    /**
     * {@code {"type":"forward","url":U,"request":R}}; R's JSON text, exactly as the client wrote it, is the
     * {@code requestLength} bytes at {@code requestOffset} of the message.
     */
    record Forward(String url, int requestOffset, int requestLength) implements ClientMessage {
    }

    /** {@code {"type":"connect","url":U}}: open U ahead of use. */
    record Connect(String url) implements ClientMessage {
    }

    /** {@code {"type":"ping"}}: goes to the target and to every open upstream. */
    record Ping() implements ClientMessage {
    }

    /** Any other JSON: the rule's target's business. */
    record Other() implements ClientMessage {
    }

    /** Answered with a 400 error envelope; {@code url} is the url as written, or null when there was none. */
    record Malformed(String url, String reason) implements ClientMessage {
    }

    Ping PING = new Ping();
    Other OTHER = new Other();
    Malformed NOT_JSON = new Malformed(null, "message is not JSON");
}
