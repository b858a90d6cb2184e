package io.wsproxy.testing;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * A loopback port whose accept queue is full: Linux drops further SYNs, so a connect there neither fails nor ends
 * (as with a host that is down, or a firewall that drops), until the connecting side gives up.
 */
public final class BlackHole implements Closeable {
    private final ServerSocket listener;
    private final List<Socket> fillers = new ArrayList<>();

    private BlackHole(ServerSocket listener) {
        this.listener = listener;
    }

    /** On {@code address}:{@code port} (0: any free port). */
    public static BlackHole open(String address, int port) throws IOException {
        ServerSocket listener = new ServerSocket();
        BlackHole hole = new BlackHole(listener);
        try {
            listener.bind(new InetSocketAddress(InetAddress.getByName(address), port), 1);
            for (int i = 0; i < 16; i++) {
                Socket filler = new Socket();
                hole.fillers.add(filler);
                try {
                    filler.connect(listener.getLocalSocketAddress(), 200);
                } catch (SocketTimeoutException e) {
                    return hole;
                }
            }
        } catch (IOException | RuntimeException e) {
            hole.close();
            throw e;
        }
        hole.close();
        throw new IllegalStateException("the kernel kept accepting connections into a full queue");
    }

    public int port() {
        return listener.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        for (Socket filler : fillers) {
            filler.close();
        }
        listener.close();
    }
}
