package io.wsproxy.bench.splice;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The splice on plain java.nio: one thread and one selector per core, each with its own listening socket on the
 * shared port (SO_REUSEPORT: the kernel spreads the connections, no hand-off between threads), a direct buffer
 * per direction from the thread's pool (16 KiB, as wsproxy's), a side's reading stopped while its peer cannot take what was read,
 * half-closes passed on.
 */
final class NioSplice {
  private NioSplice() {}

  static InetSocketAddress start(InetSocketAddress listen, InetSocketAddress target, int threads, int bufferBytes)
      throws IOException {
    InetSocketAddress bound = listen;
    for (int i = 0; i < threads; i++) {
      ServerSocketChannel server = ServerSocketChannel.open();
      server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
      server.bind(bound, 4096);
      bound = (InetSocketAddress) server.getLocalAddress();
      server.configureBlocking(false);
      Selector selector = Selector.open();
      server.register(selector, SelectionKey.OP_ACCEPT);
      Thread loop = new Thread(() -> run(selector, target, new Pool(bufferBytes)), "splice-" + i);
      loop.start();
    }
    return bound;
  }

  private static void run(Selector selector, InetSocketAddress target, Pool pool) {
    try {
      while (true) {
        selector.select(key -> {
          try {
            if (key.isAcceptable()) {
              accept((ServerSocketChannel) key.channel(), selector, target, pool);
            } else {
              ((Side) key.attachment()).ready(key.readyOps());
            }
          } catch (IOException | RuntimeException e) {
            if (key.attachment() instanceof Side side) {
              side.closeBoth();
            }
          }
        });
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void accept(ServerSocketChannel server, Selector selector, InetSocketAddress target,
      Pool pool) throws IOException {
    SocketChannel client;
    while ((client = server.accept()) != null) {
      SocketChannel upstream = SocketChannel.open();
      try {
        for (SocketChannel ch : new SocketChannel[] {client, upstream}) {
          ch.configureBlocking(false);
          ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        Side clientSide = new Side(client, pool);
        Side upstreamSide = new Side(upstream, pool);
        clientSide.peer = upstreamSide;
        upstreamSide.peer = clientSide;
        clientSide.key = client.register(selector, 0, clientSide);   // read nothing before the target answers
        upstreamSide.key = upstream.register(selector, 0, upstreamSide);
        if (upstream.connect(target)) {
          upstreamSide.connected();
        } else {
          upstreamSide.key.interestOps(SelectionKey.OP_CONNECT);
        }
      } catch (IOException e) {
        client.close();
        upstream.close();
      }
    }
  }

  /** A loop's direct buffers that no connection holds (a new one costs a malloc, zeroing, a cleaner). */
  private static final class Pool {
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private final int bufferBytes;

    Pool(int bufferBytes) {
      this.bufferBytes = bufferBytes;
    }

    ByteBuffer take() {
      ByteBuffer b = free.poll();
      return b != null ? b : ByteBuffer.allocateDirect(bufferBytes);
    }

    void give(ByteBuffer b) {
      b.clear();
      free.push(b);
    }
  }

  /** A socket and the bytes read from it that its peer has not taken yet. */
  private static final class Side {
    private final SocketChannel channel;
    private final Pool pool;
    private final ByteBuffer unsent;
    private Side peer;
    private SelectionKey key;
    private boolean reading;
    private boolean draining;   // unsent holds bytes read and not yet written (flipped)
    private boolean ended;   // this side's input ended; the peer's output is shut once unsent is flushed

    Side(SocketChannel channel, Pool pool) {
      this.channel = channel;
      this.pool = pool;
      this.unsent = pool.take();
    }

    void connected() {
      reading = true;
      peer.reading = true;
      updateInterest();
      peer.updateInterest();
    }

    void ready(int ops) throws IOException {
      if ((ops & SelectionKey.OP_CONNECT) != 0) {
        channel.finishConnect();
        connected();
        return;
      }
      if ((ops & SelectionKey.OP_WRITE) != 0) {
        peer.flushTo(this);
      }
      if ((ops & SelectionKey.OP_READ) != 0 && reading && channel.isOpen()) {
        if (channel.read(unsent) < 0) {
          ended = true;
        }
        unsent.flip();
        draining = true;
        flushTo(peer);
      }
    }

    /** Writes what was read from this side to its peer; reads again once all of it is gone, waits for it if not. */
    private void flushTo(Side to) throws IOException {
      to.channel.write(unsent);
      if (unsent.hasRemaining()) {
        reading = false;
      } else {
        unsent.clear();
        draining = false;
        if (ended) {
          reading = false;
          to.channel.shutdownOutput();
          if (to.ended && !to.draining) {
            closeBoth();
            return;
          }
        } else {
          reading = true;
        }
      }
      updateInterest();
      to.updateInterest();
    }

    private void updateInterest() {
      if (key.isValid()) {
        key.interestOps((reading ? SelectionKey.OP_READ : 0) | (peer.draining ? SelectionKey.OP_WRITE : 0));
      }
    }

    void closeBoth() {
      close();
      peer.close();
    }

    private void close() {
      if (channel.isOpen()) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // closing: nothing left to tell
        }
        pool.give(unsent);
      }
    }
  }
}
