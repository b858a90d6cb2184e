package io.wsproxy.bench.splice;

import java.net.InetSocketAddress;

/**
 * {@code java -jar wsproxy-splice.jar --transport nio|epoll --target HOST:PORT [--port P] [--threads N]
 * [--buffer-kib K]}: relays
 * every connection to the target byte for byte and prints {@code LISTENING 127.0.0.1:PORT} once bound.
 *
 * <p>No HTTP and no rules: the least any proxy on the transport does per connection and per byte, so that a
 * benchmark can tell what the socket layer costs from what the proxy on top of it adds.
 */
public final class SpliceMain {
  private SpliceMain() {}

  public static void main(String[] argv) throws Exception {
    String transport = null;
    String target = null;
    int port = 0;
    int threads = Runtime.getRuntime().availableProcessors();
    int bufferKib = 16;
    for (int i = 0; i + 1 < argv.length; i += 2) {
      switch (argv[i]) {
        case "--transport" -> transport = argv[i + 1];
        case "--target" -> target = argv[i + 1];
        case "--port" -> port = Integer.parseInt(argv[i + 1]);
        case "--threads" -> threads = Integer.parseInt(argv[i + 1]);
        case "--buffer-kib" -> bufferKib = Integer.parseInt(argv[i + 1]);
        default -> usage("unknown option " + argv[i]);
      }
    }
    if (target == null || target.lastIndexOf(':') < 0) {
      usage("--target HOST:PORT is required");
    }
    int colon = target.lastIndexOf(':');
    InetSocketAddress to = new InetSocketAddress(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)));
    InetSocketAddress listen = new InetSocketAddress("127.0.0.1", port);
    InetSocketAddress bound;
    if ("nio".equals(transport)) {
      bound = NioSplice.start(listen, to, threads, bufferKib * 1024);
    } else if ("epoll".equals(transport)) {
      bound = EpollSplice.start(listen, to, threads);
    } else {
      usage("--transport must be nio or epoll");
      return;
    }
    System.out.println("LISTENING " + bound.getAddress().getHostAddress() + ":" + bound.getPort() + " transport="
        + transport + " threads=" + threads);
    System.out.flush();
    Thread.currentThread().join();
  }

  private static void usage(String why) {
    System.err.println(why + "\nusage: java -jar wsproxy-splice.jar --transport nio|epoll --target HOST:PORT"
        + " [--port P] [--threads N] [--buffer-kib K (nio)]");
    System.exit(2);
  }
}
