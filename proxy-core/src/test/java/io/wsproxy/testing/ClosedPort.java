package io.wsproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback port nobody listens on (connecting is refused), held for the rest of the test run: a port only handed
 * out and taken back could be the next one the kernel gives a server bound to port 0, such as the proxy under test,
 * which would then proxy to itself.
 */
public final class ClosedPort {
    private static final List<Socket> HELD = new CopyOnWriteArrayList<>();

    private ClosedPort() {
    }

    public static int next() {
        try {
            // bound, never listening, and without SO_REUSEADDR: no other bind can take the port meanwhile
            Socket socket = new Socket();
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            HELD.add(socket);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
