package io.wsproxy.upstream;

import io.undertow.protocols.ssl.UndertowXnioSsl;
import java.security.NoSuchAlgorithmException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import org.xnio.OptionMap;
import org.xnio.Xnio;
import org.xnio.ssl.XnioSsl;

/**
 * TLS for wss:// and https:// targets, with the given trust or the JVM's default trust store; created on first
 * use, and replaced whole when the trust is (a reload of the CA bundle): dials under way keep the one they began
 * with.
 */
public final class UpstreamTls {
    private final Xnio xnio;
    private volatile SSLContext context;
    private volatile XnioSsl ssl;

    /** Why a target's connection ended before a word, when {@link #handshakeFailed} says the TLS handshake did. */
    public static final String HANDSHAKE_FAILED = "the TLS handshake with the upstream failed: its certificate was"
            + " refused (not trusted, expired or not for this host name), or it closed the connection";

    /**
     * Whether a connection's TLS handshake never completed. Undertow's TLS layer closes a connection whose handshake
     * failed (on our side: the certificate checks) and keeps the reason to itself, so what is read is only the
     * end; a session never agreed on tells that apart from a target that closed after its handshake.
     */
    public static boolean handshakeFailed(SSLSession session) {
        return session != null && "SSL_NULL_WITH_NULL_NULL".equals(session.getCipherSuite());
    }

    /** @param context the context to use, or null for the JVM default */
    public UpstreamTls(Xnio xnio, SSLContext context) {
        this.xnio = xnio;
        this.context = context;
    }

    /** Dials from now on trust what {@code newContext} trusts. */
    public synchronized void use(SSLContext newContext) {
        context = newContext;
        ssl = null;
    }

    XnioSsl ssl() {
        XnioSsl s = ssl;
        if (s == null) {
            synchronized (this) {
                if (ssl == null) {
                    try {
                        ssl = new UndertowXnioSsl(xnio, OptionMap.EMPTY, context != null ? context : SSLContext.getDefault());
                    } catch (NoSuchAlgorithmException e) {
                        throw new IllegalStateException("no TLS available for wss:// and https:// targets", e);
                    }
                }
                s = ssl;
            }
        }
        return s;
    }
}
