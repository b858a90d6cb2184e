package io.wsproxy.bench;

/**
 * Load generator entry point: {@code LoadGen <workload> --url ws://127.0.0.1:PORT/path [options]}.
 * Workloads: echo, latency, large, churn, idle, forward. Each prints one
 * {@code RESULT workload=... target=... key=value ...} line (idle also prints an {@code OPEN} line).
 * See bench/README.md for options and output keys.
 */
public final class LoadGen {
  private LoadGen() {}

  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv);
    String workload = args.str("workload", args.positional().isEmpty() ? "" : args.positional().get(0));
    Workload w = switch (workload) {
      case "echo" -> new EchoWorkload(args, "echo", 50, 16, 64);
      case "large" -> new EchoWorkload(args, "large", 8, 4, 64 * 1024);
      case "latency" -> new LatencyWorkload(args);
      case "churn" -> new ChurnWorkload(args);
      case "idle" -> new IdleWorkload(args);
      case "forward" -> new ForwardWorkload(args);
      default -> null;
    };
    if (w == null) {
      System.err.println("usage: LoadGen <echo|latency|large|churn|idle|forward> --url ws://127.0.0.1:PORT/ "
          + "[--target LABEL] [--duration S] [--warmup S] [--threads N] [--connections N] ...");
      System.exit(2);
    }
    w.run();
    System.exit(0);
  }
}
