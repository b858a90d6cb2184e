package io.wsproxy.config;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * TLS on the proxy's listener ({@code server.tls}): the PEM files, read and checked at load (the key belongs to
 * the certificate), and the context made of them. Two loads of the same files compare equal, whatever their
 * contents: which files the listener uses is a setting, a renewed certificate in them is not a change of settings.
 *
 * @param certificate the certificate chain's file, the server's own certificate first
 * @param key         the private key's file
 * @param context     the server context presenting them
 * @param leaf        the server's own certificate, for the log
 */
public record TlsConfig(Path certificate, Path key, SSLContext context, X509Certificate leaf) {
    public TlsConfig {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(leaf, "leaf");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TlsConfig other && certificate.equals(other.certificate) && key.equals(other.key);
    }

    @Override
    public int hashCode() {
        return Objects.hash(certificate, key);
    }

    @Override
    public String toString() {
        return "TlsConfig[certificate=" + certificate + ", key=" + key + "]";
    }
}
