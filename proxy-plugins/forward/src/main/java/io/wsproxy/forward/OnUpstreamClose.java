package io.wsproxy.forward;

/** What the client sees when a forwarded server closes or fails. */
public enum OnUpstreamClose {
    /** The seed protocol's lifecycle sync: close the client's connection with 1014 naming the server. */
    CLOSE,
    /** The newer protocol: send a {@code disconnected} event and reconnect on the next request. */
    EVENT
}
