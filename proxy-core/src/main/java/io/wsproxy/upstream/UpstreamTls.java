package io.wsproxy.upstream;

import io.undertow.protocols.ssl.UndertowXnioSsl;
import java.security.NoSuchAlgorithmException;
import javax.net.ssl.SSLContext;
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
