package io.wsproxy.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Idle connections: opens {@code --count} connections (default 10,000; at most
 * {@code --concurrency} handshakes outstanding), prints an {@code OPEN} line when done, holds them
 * for {@code --hold} seconds, and with {@code --pid P[,P...]} reports the summed VmRSS growth per
 * connection. With {@code --max}, keeps opening up to {@code --cap} (default 50,000) and stops at the
 * first failure, reporting the count reached. Client sockets are bound round-robin to
 * {@code --source-ips} loopback addresses (default 4: 127.0.0.2-5) to get past ~28k ephemeral ports
 * per source address.
 */
final class IdleWorkload extends Workload {
  private final boolean maxMode;
  private final int count;
  private final int concurrency;
  private final double openTimeout;
  private final double holdSeconds;
  private final String pids;
  private final AtomicInteger opened = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger dropped = new AtomicInteger();
  private volatile boolean running = true;

  IdleWorkload(Args args) throws Exception {
    super(args, 0, 4);
    this.maxMode = args.flag("max");
    this.count = maxMode ? args.integer("cap", 50_000) : args.integer("count", 10_000);
    this.concurrency = args.integer("concurrency", 200);
    this.openTimeout = args.dbl("open-timeout", 120);
    this.holdSeconds = args.dbl("hold", 3);
    this.pids = args.str("pid", "");
  }

  @Override
  void run() throws Exception {
    ClientConn.Listener listener = new ClientConn.Listener() {
      @Override
      public void onOpen(ClientConn c) {
        opened.incrementAndGet();
      }

      @Override
      public void onMessage(ClientConn c, int opcode, ByteBuffer payload) {}

      @Override
      public void onClosed(ClientConn c, Throwable error) {
        if (!running) {
          return;
        }
        noteError(error == null ? new IllegalStateException("closed") : error);
        if (c.isOpenedOnce()) {
          opened.decrementAndGet();
          dropped.incrementAndGet();
        } else {
          failed.incrementAndGet();
        }
      }
    };
    long rssBefore = pids.isEmpty() ? 0 : ProcStatus.rssKib(pids);
    loops = ClientLoop.start(threads);
    try {
      long t0 = System.nanoTime();
      long deadline = t0 + (long) (openTimeout * 1e9);
      int started = 0;
      while (started < count && System.nanoTime() < deadline && !(maxMode && failed.get() > 0)) {
        if (started - opened.get() - failed.get() - dropped.get() >= concurrency) {
          Thread.sleep(1);
          continue;
        }
        ClientConn c = newConn(started, listener);
        c.loop.execute(c::connect);
        started++;
      }
      int total = started;
      double remaining = Math.max(0, (deadline - System.nanoTime()) / 1e9);
      await(() -> opened.get() + failed.get() + dropped.get() >= total, Math.min(remaining, 30));
      double openSeconds = (System.nanoTime() - t0) / 1e9;
      int reached = opened.get();
      System.out.println("OPEN target=" + label + " connections=" + reached + " failed=" + failed.get()
          + " open_s=" + String.format(java.util.Locale.ROOT, "%.1f", openSeconds));
      System.out.flush();
      sleep(Math.min(2, holdSeconds));
      long rssAfter = pids.isEmpty() ? 0 : ProcStatus.rssKib(pids);
      sleep(Math.max(0, holdSeconds - 2));
      Result r = new Result(maxMode ? "idle_max" : "idle", label)
          .put("requested", count).put(maxMode ? "reached" : "opened", reached)
          .put("failed", failed.get()).put("dropped_during_hold", dropped.get())
          .put("open_s", openSeconds).put("source_ips", sourceIps);
      if (!pids.isEmpty()) {
        r.put("rss_before_kib", rssBefore).put("rss_after_kib", rssAfter)
            .put("rss_per_conn_kib", reached == 0 ? 0 : (rssAfter - rssBefore) / (double) reached);
      }
      r.put("first_error", errorText()).print();
    } finally {
      running = false;
      ClientLoop.stopAll(loops);
    }
  }
}
