package io.wsproxy.forward;

/** Close codes and reasons as they may go on the wire. */
final class CloseCodes {
    static final int NORMAL = 1000;
    static final int GOING_AWAY = 1001;
    static final int POLICY_VIOLATION = 1008;
    static final int BAD_GATEWAY = 1014;

    private CloseCodes() {
    }

    /**
     * 1005, 1006 and 1015 only report what happened and must never be sent: a side that vanished or closed without
     * a code becomes 1014 (an upstream) or 1001 (the client), as the core's relay does.
     */
    static int sendable(int code, boolean fromUpstream) {
        return switch (code) {
            case 1005 -> NORMAL;
            case 1006, 1015 -> fromUpstream ? BAD_GATEWAY : GOING_AWAY;
            default -> code;
        };
    }

    /** The lifecycle-sync reason: names the server as the client wrote it (the connection cuts it to fit a frame). */
    static String upstreamClosed(String url) {
        return "upstream closed: " + url;
    }
}
