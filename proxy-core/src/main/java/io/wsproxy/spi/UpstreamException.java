package io.wsproxy.spi;

import java.io.IOException;

/** Dialing an upstream failed; {@code status} is what the client should see (502, 504). */
public class UpstreamException extends IOException {
    private final int status;

    public UpstreamException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
