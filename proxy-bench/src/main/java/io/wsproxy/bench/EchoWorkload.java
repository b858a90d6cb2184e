package io.wsproxy.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Closed-loop echo throughput: each connection keeps {@code --inflight} messages of {@code --size}
 * bytes outstanding and sends a new one per reply. Used for "echo" (50 x 16 x 64 B) and "large"
 * (8 x 4 x 64 KiB). Reports msgs_per_s and mb_per_s (10^6 payload bytes received per second).
 */
final class EchoWorkload extends Workload {
  private final String name;
  private final int connections;
  private final int inflight;
  private final int size;
  private final LongAdder messages = new LongAdder();
  private final LongAdder bytes = new LongAdder();
  private final AtomicInteger opened = new AtomicInteger();

  EchoWorkload(Args args, String name, int connections, int inflight, int size) throws Exception {
    super(args, 10, 0);
    this.name = name;
    this.connections = args.integer("connections", connections);
    this.inflight = args.integer("inflight", inflight);
    this.size = args.integer("size", size);
  }

  @Override
  void run() throws Exception {
    ByteBuffer payload = payload(size);
    int opcode = FrameCodec.OP_BINARY;
    ClientConn.Listener listener = new ClientConn.Listener() {
      @Override
      public void onOpen(ClientConn c) {
        opened.incrementAndGet();
        for (int i = 0; i < inflight; i++) {
          c.send(opcode, payload);
        }
      }

      @Override
      public void onMessage(ClientConn c, int op, ByteBuffer p) {
        if (p.remaining() != size) {
          errors.increment();
        }
        messages.increment();
        bytes.add(p.remaining());
        c.send(opcode, payload);
      }

      @Override
      public void onClosed(ClientConn c, Throwable error) {
        connectionClosed(error);
      }
    };
    loops = ClientLoop.start(threads);
    try {
      for (int i = 0; i < connections; i++) {
        ClientConn c = newConn(i, listener);
        c.loop.execute(c::connect);
      }
      if (!await(() -> opened.get() == connections, 10)) {
        new Result(name, label).put("error", "only_" + opened.get() + "_of_" + connections + "_opened")
            .put("first_error", errorText()).print();
        return;
      }
      sleep(warmupSeconds);
      long m0 = messages.sum();
      long b0 = bytes.sum();
      long t0 = System.nanoTime();
      cpu.start();
      sleep(durationSeconds);
      long m1 = messages.sum();
      long b1 = bytes.sum();
      double secs = (System.nanoTime() - t0) / 1e9;
      Result r = new Result(name, label);
      cpu.stop(r);
      r.put("connections", connections).put("inflight", inflight).put("size", size)
          .put("duration_s", secs)
          .put("msgs_per_s", (m1 - m0) / secs)
          .put("mb_per_s", (b1 - b0) / secs / 1e6)
          .put("errors", errors.sum())
          .put("first_error", errorText())
          .print();
    } finally {
      running = false;
      ClientLoop.stopAll(loops);
    }
  }
}
