package io.wsproxy.bench;

import java.net.ProtocolException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Connection churn: {@code --parallel} slots each loop "open, echo one 64-byte message, close
 * (closing handshake)", immediately starting the next connection. Reports completed cycles per
 * second as handshakes_per_s.
 */
final class ChurnWorkload extends Workload {
  private final int parallel;
  private final ByteBuffer payload = payload(64);
  private final LongAdder completed = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final AtomicInteger nextId = new AtomicInteger();
  private volatile boolean running = true;

  ChurnWorkload(Args args) throws Exception {
    super(args, 10, 0);
    this.parallel = args.integer("parallel", args.integer("connections", 32));
  }

  /** One open-echo-close cycle. */
  private final class Cycle implements ClientConn.Listener {
    private boolean echoed;

    @Override
    public void onOpen(ClientConn c) {
      c.send(FrameCodec.OP_BINARY, payload);
    }

    @Override
    public void onMessage(ClientConn c, int opcode, ByteBuffer p) {
      if (!p.equals(payload)) {
        c.abort(new ProtocolException("echo is not the message sent: " + p.remaining() + " bytes"));
        return;
      }
      echoed = true;
      c.close();
    }

    @Override
    public void onClosed(ClientConn c, Throwable error) {
      if (error == null && echoed) {
        completed.increment();
      } else if (running) {
        errors.increment();
        noteError(error == null ? new IllegalStateException("closed before echo") : error);
      }
      if (running) {
        start(c.loop);
      }
    }
  }

  private void start(ClientLoop loop) {
    int id = nextId.getAndIncrement();
    try {
      new ClientConn(loop, id, target, sourceAddress(id), new Cycle()).connect();
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  void run() throws Exception {
    loops = ClientLoop.start(threads);
    try {
      for (int i = 0; i < parallel; i++) {
        ClientLoop loop = loops[i % loops.length];
        loop.execute(() -> start(loop));
      }
      sleep(warmupSeconds);
      long c0 = completed.sum();
      long e0 = errors.sum();
      long t0 = System.nanoTime();
      cpu.start();
      sleep(durationSeconds);
      long c1 = completed.sum();
      long e1 = errors.sum();
      double secs = (System.nanoTime() - t0) / 1e9;
      Result r = new Result("churn", label);
      cpu.stop(r);
      r.put("parallel", parallel).put("duration_s", secs)
          .put("handshakes_per_s", (c1 - c0) / secs)
          .put("errors", e1 - e0)
          .put("first_error", errorText())
          .print();
    } finally {
      running = false;
      ClientLoop.stopAll(loops);
    }
  }
}
