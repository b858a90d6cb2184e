package io.wsproxy.config;

import java.nio.file.Path;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * {@code server.upstreamCa}: the CA certificates that wss:// and https:// targets' certificates must chain to,
 * instead of the JVM's trust store (for targets with certificates of a private CA), read at load. Two loads of
 * the same file compare equal: which file is a setting, what a reload finds in it is not a change of settings.
 *
 * @param file         the PEM bundle
 * @param context      the client context trusting them
 * @param certificates how many the file holds, for the log
 */
public record UpstreamTrust(Path file, SSLContext context, int certificates) {
    public UpstreamTrust {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(context, "context");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UpstreamTrust other && file.equals(other.file);
    }

    @Override
    public int hashCode() {
        return file.hashCode();
    }

    @Override
    public String toString() {
        return "UpstreamTrust[file=" + file + "]";
    }
}
