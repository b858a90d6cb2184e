package io.wsproxy.bench;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Closed-loop echo throughput: each connection keeps {@code --inflight} messages of {@code --size}
 * bytes outstanding and sends a new one per reply. Used for "echo" (50 x 16 x 64 B) and "large"
 * (8 x 4 x 64 KiB). Reports msgs_per_s and mb_per_s (10^6 payload bytes received per second).
 * Each message starts with its connection's sequence number and every reply must be the next one,
 * byte for byte, or the connection is closed as an error: a target that drops, duplicates, reorders,
 * truncates or corrupts messages cannot score (a duplicate would otherwise add one in flight).
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
    this.size = Math.max(8, args.integer("size", size));
  }

  @Override
  void run() throws Exception {
    ByteBuffer rest = payload(size).position(8).slice(); // every message: these bytes after its sequence number
    int opcode = FrameCodec.OP_BINARY;
    // per connection (id), confined to its loop: the outgoing message, next sequence to send and to receive
    ByteBuffer[] outgoing = new ByteBuffer[connections];
    long[] sent = new long[connections];
    long[] expected = new long[connections];
    ClientConn.Listener listener = new ClientConn.Listener() {
      @Override
      public void onOpen(ClientConn c) {
        opened.incrementAndGet();
        outgoing[c.id] = ByteBuffer.wrap(payloadBytes(size));
        for (int i = 0; i < inflight; i++) {
          sendNext(c);
        }
      }

      @Override
      public void onMessage(ClientConn c, int op, ByteBuffer p) {
        int at = p.position();
        long seq = expected[c.id]++;
        if (p.remaining() != size || p.getLong(at) != seq || p.slice(at + 8, size - 8).mismatch(rest) >= 0) {
          c.abort(new java.net.ProtocolException("reply " + seq + " is not the message sent: " + p.remaining()
              + " bytes" + (p.remaining() >= 8 ? ", sequence " + p.getLong(at) : "")));
          return;
        }
        messages.increment();
        bytes.add(size);
        sendNext(c);
      }

      private void sendNext(ClientConn c) {
        ByteBuffer out = outgoing[c.id];
        out.putLong(0, sent[c.id]++);
        c.send(opcode, out);
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
