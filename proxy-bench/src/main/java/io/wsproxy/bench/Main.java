package io.wsproxy.bench;

import java.util.Arrays;

/** {@code java -jar wsproxy-bench.jar server [...]} or {@code ... loadgen <workload> [...]}. */
public final class Main {
  private Main() {}

  public static void main(String[] argv) throws Exception {
    String cmd = argv.length == 0 ? "" : argv[0];
    String[] rest = argv.length == 0 ? argv : Arrays.copyOfRange(argv, 1, argv.length);
    switch (cmd) {
      case "server", "echo-server" -> EchoServer.main(rest);
      case "loadgen" -> LoadGen.main(rest);
      default -> {
        System.err.println("usage: java -jar wsproxy-bench.jar server --port 0 [--threads N]\n"
            + "       java -jar wsproxy-bench.jar loadgen <echo|latency|large|churn|idle|forward> --url ws://...");
        System.exit(2);
      }
    }
  }
}
