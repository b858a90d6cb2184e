package io.wsproxy.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop round-trip latency: a pacer thread sends {@code --rate} msgs/s in total, evenly spread
 * over {@code --connections}, on a fixed schedule. Each payload carries its <em>intended</em> send
 * time, and latency is measured from that time, so a stalled target is charged for the whole
 * backlog (no coordinated omission). Reports p50/p99/p99.9/max in microseconds.
 */
final class LatencyWorkload extends Workload {
  private final int connections;
  private final int rate;
  private final int size;
  private final Histogram histogram = new Histogram();
  private final AtomicInteger opened = new AtomicInteger();
  private final LongAdder received = new LongAdder();
  private volatile long measureFrom = Long.MAX_VALUE;
  private volatile long measureUntil = Long.MAX_VALUE;

  LatencyWorkload(Args args) throws Exception {
    super(args, 10, 0);
    this.connections = args.integer("connections", 50);
    this.rate = args.integer("rate", 5000);
    this.size = Math.max(8, args.integer("size", 64));
  }

  @Override
  void run() throws Exception {
    ClientConn.Listener listener = new ClientConn.Listener() {
      @Override
      public void onOpen(ClientConn c) {
        opened.incrementAndGet();
      }

      @Override
      public void onMessage(ClientConn c, int op, ByteBuffer p) {
        long now = System.nanoTime();
        long intended = p.getLong(p.position());
        if (intended >= measureFrom && intended < measureUntil) {
          histogram.record((now - intended) / 1000);
          received.increment();
        }
      }

      @Override
      public void onClosed(ClientConn c, Throwable error) {
        connectionClosed(error);
      }
    };
    loops = ClientLoop.start(threads);
    try {
      ClientConn[] conns = new ClientConn[connections];
      for (int i = 0; i < connections; i++) {
        conns[i] = newConn(i, listener);
        conns[i].loop.execute(conns[i]::connect);
      }
      if (!await(() -> opened.get() == connections, 10)) {
        new Result("latency", label).put("error", "only_" + opened.get() + "_of_" + connections + "_opened")
            .put("first_error", errorText()).print();
        return;
      }
      long sent = pace(conns);
      Result r = new Result("latency", label);
      cpu.stop(r);
      long expected = sent;
      await(() -> received.sum() >= expected, 5);
      r.put("connections", connections).put("rate", rate).put("size", size)
          .put("duration_s", durationSeconds)
          .put("sent", sent).put("received", received.sum()).put("lost", sent - received.sum())
          .put("p50_us", histogram.quantile(0.50))
          .put("p99_us", histogram.quantile(0.99))
          .put("p999_us", histogram.quantile(0.999))
          .put("max_us", histogram.quantile(1.0))
          .put("errors", errors.sum())
          .put("first_error", errorText())
          .print();
    } finally {
      running = false;
      ClientLoop.stopAll(loops);
    }
  }

  /** Sends on schedule through warm-up and measurement; returns how many were sent while measuring. */
  private long pace(ClientConn[] conns) throws IOException {
    long period = 1_000_000_000L / rate;
    long start = System.nanoTime() + 1_000_000;
    long from = start + (long) (warmupSeconds * 1e9);
    long until = from + (long) (durationSeconds * 1e9);
    measureFrom = from;
    measureUntil = until;
    boolean sampling = false;
    ByteBuffer buf = ByteBuffer.wrap(payloadBytes(size));
    long measuredSent = 0;
    for (long seq = 0; ; seq++) {
      long due = start + seq * period;
      if (due >= until) {
        return measuredSent;
      }
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      ClientConn c = conns[(int) (seq % conns.length)];
      if (!c.isOpen()) {
        continue;
      }
      buf.putLong(0, due);
      c.send(FrameCodec.OP_BINARY, buf);
      c.flush();
      if (due >= from) {
        if (!sampling) {
          cpu.start();
          sampling = true;
        }
        measuredSent++;
      }
    }
  }
}
