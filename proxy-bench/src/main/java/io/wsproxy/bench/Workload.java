package io.wsproxy.bench;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.function.BooleanSupplier;

/** Common options and helpers of load-generator workloads. */
abstract class Workload {
  final Args args;
  final String label;
  final Target target;
  final int threads;
  final double warmupSeconds;
  final double durationSeconds;
  final int sourceIps;
  final CpuSampler cpu;
  ClientLoop[] loops;
  volatile String firstError;

  Workload(Args args, double defaultDuration, int defaultSourceIps) throws UnknownHostException {
    this.args = args;
    this.label = args.str("target", "unknown");
    this.target = new Target(args.str("url", "ws://127.0.0.1:8080/"));
    this.threads = args.integer("threads", 2);
    this.warmupSeconds = args.dbl("warmup", 2);
    this.durationSeconds = args.dbl("duration", defaultDuration);
    this.sourceIps = args.integer("source-ips", defaultSourceIps);
    this.cpu = new CpuSampler(args.str("cpu-pids", ""));
  }

  abstract void run() throws Exception;

  /** Source address for connection i: 127.0.0.2, .3, ... when --source-ips > 0, else kernel's choice. */
  InetAddress sourceAddress(int i) throws UnknownHostException {
    if (sourceIps <= 0) {
      return null;
    }
    int n = 2 + i % sourceIps;
    return InetAddress.getByAddress(new byte[] {127, 0, (byte) (n >> 8), (byte) n});
  }

  ClientConn newConn(int id, ClientConn.Listener listener) throws UnknownHostException {
    return new ClientConn(loops[id % loops.length], id, target, sourceAddress(id), listener);
  }

  /** Connections that failed while measuring; {@link #running} turns false when the measurement ends. */
  final java.util.concurrent.atomic.LongAdder errors = new java.util.concurrent.atomic.LongAdder();
  volatile boolean running = true;

  /** A connection closed: an error unless the measurement is over. */
  void connectionClosed(Throwable error) {
    if (running) {
      errors.increment();
      noteError(error == null ? new IllegalStateException("closed early") : error);
    }
  }

  void noteError(Throwable e) {
    if (e != null && firstError == null) {
      firstError = e.getClass().getSimpleName() + ":" + e.getMessage();
    }
  }

  String errorText() {
    return firstError == null ? "none" : firstError;
  }

  /** Polls the condition every 5 ms for at most {@code seconds}; returns whether it became true. */
  static boolean await(BooleanSupplier condition, double seconds) throws InterruptedException {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  static void sleep(double seconds) throws InterruptedException {
    Thread.sleep((long) (seconds * 1000));
  }

  static byte[] payloadBytes(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) ('a' + i % 26);
    }
    return b;
  }

  /** A shared read-only payload; {@link ClientConn#send} duplicates it, so threads may share it. */
  static java.nio.ByteBuffer payload(int size) {
    return java.nio.ByteBuffer.wrap(payloadBytes(size)).asReadOnlyBuffer();
  }
}
