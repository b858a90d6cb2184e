package io.wsproxy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * WebSocket echo backend: one blocking acceptor thread hands connections round-robin to N
 * non-blocking selector workers (default: one per core).
 *
 * <p>Args: {@code --port N} (0 = ephemeral), {@code --host 127.0.0.1}, {@code --threads N},
 * {@code --max-seconds S} (exit after S seconds, a safety bound; default 7200).
 * Prints {@code LISTENING host:port} once bound.
 */
public final class EchoServer {
  private EchoServer() {}

  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv);
    String host = args.str("host", "127.0.0.1");
    int port = args.integer("port", 0);
    int threads = args.integer("threads", Runtime.getRuntime().availableProcessors());
    long maxSeconds = args.integer("max-seconds", 7200);

    ServerSocketChannel server = ServerSocketChannel.open();
    server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
    server.bind(new InetSocketAddress(host, port), 8192);
    Worker[] workers = new Worker[threads];
    for (int i = 0; i < threads; i++) {
      workers[i] = new Worker();
      Thread t = new Thread(workers[i], "echo-worker-" + i);
      t.setDaemon(true);
      t.start();
    }
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(maxSeconds * 1000);
      } catch (InterruptedException ignored) {
        return;
      }
      System.err.println("echo server: --max-seconds reached, exiting");
      System.exit(0);
    }, "echo-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();

    InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
    System.out.println("LISTENING " + bound.getAddress().getHostAddress() + ":" + bound.getPort()
        + " threads=" + threads);
    System.out.flush();

    long next = 0;
    while (true) {
      SocketChannel ch;
      try {
        ch = server.accept();
      } catch (IOException e) {
        // e.g. EMFILE: back off briefly instead of spinning
        System.err.println("accept failed: " + e.getMessage());
        Thread.sleep(10);
        continue;
      }
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      workers[(int) (next++ % threads)].add(ch);
    }
  }

  /** A selector thread owning a set of {@link EchoConnection}s. */
  private static final class Worker implements Runnable {
    private final Selector selector;
    private final Queue<SocketChannel> incoming = new ConcurrentLinkedQueue<>();

    Worker() throws IOException {
      selector = Selector.open();
    }

    void add(SocketChannel ch) {
      incoming.add(ch);
      selector.wakeup();
    }

    @Override
    public void run() {
      while (true) {
        try {
          selector.select();
          SocketChannel ch;
          while ((ch = incoming.poll()) != null) {
            SelectionKey key = ch.register(selector, SelectionKey.OP_READ);
            key.attach(new EchoConnection(ch, key));
          }
          for (SelectionKey key : selector.selectedKeys()) {
            if (key.isValid()) {
              ((EchoConnection) key.attachment()).handle();
            }
          }
          selector.selectedKeys().clear();
        } catch (IOException | RuntimeException e) {
          System.err.println("echo worker: " + e);
        }
      }
    }
  }
}
