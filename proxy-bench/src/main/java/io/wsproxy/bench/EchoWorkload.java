package io.wsproxy.bench;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;

/**
 * Closed-loop echo throughput: each connection keeps {@code --inflight} messages of {@code --size}
 * bytes outstanding and sends a new one per reply. Used for "echo" (50 x 16 x 64 B) and "large"
 * (8 x 4 x 64 KiB). Reports msgs_per_s and mb_per_s (10^6 payload bytes received per second).
 * Each message starts with its connection's sequence number and every reply must be the next one, of
 * the same size and the same bytes (all of a 64 B message; of a larger one, its first 64 and last 8), or
 * the connection is closed as an error: a target that drops, duplicates, reorders, truncates or garbles
 * messages cannot score (a duplicate would otherwise add one in flight).
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
    // besides the size and the sequence number, the next 56 bytes (all of a 64 B message) and the last 8 are
    // compared, as longs: a wrong byte, mask or offset shows there, while comparing through slices cost the load
    // generator enough per message to lower direct's echo by some 14 %, and all of 64 KiB would cost far more
    ByteBuffer sample = payload(size);
    int[] offsets = IntStream.concat(IntStream.iterate(8, o -> o + 8 <= Math.min(size, 64), o -> o + 8),
        IntStream.of(size - 8)).filter(o -> o >= 8).distinct().toArray();
    long[] expectedLongs = Arrays.stream(offsets).mapToLong(sample::getLong).toArray();
    int opcode = FrameCodec.OP_BINARY;
    Sequence[] sequences = new Sequence[connections];
    ClientConn.Listener listener = new ClientConn.Listener() {
      @Override
      public void onOpen(ClientConn c) {
        opened.incrementAndGet();
        Sequence sequence = new Sequence(payloadBytes(size)); // made on the connection's loop, which alone uses it
        sequences[c.id] = sequence;
        for (int i = 0; i < inflight; i++) {
          sendNext(c, sequence);
        }
      }

      @Override
      public void onMessage(ClientConn c, int op, ByteBuffer p) {
        Sequence sequence = sequences[c.id];
        int at = p.position();
        long seq = sequence.expected++;
        if (p.remaining() != size || p.getLong(at) != seq || !sameLongs(p, at, offsets, expectedLongs)) {
          c.abort(new java.net.ProtocolException("reply " + seq + " is not the message sent: " + p.remaining()
              + " bytes" + (p.remaining() >= 8 ? ", sequence " + p.getLong(at) : "")));
          return;
        }
        messages.increment();
        bytes.add(size);
        sendNext(c, sequence);
      }

      private void sendNext(ClientConn c, Sequence sequence) {
        sequence.out.putLong(0, sequence.sent++);
        c.send(opcode, sequence.out);
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

  private static boolean sameLongs(ByteBuffer p, int at, int[] offsets, long[] expected) {
    for (int i = 0; i < offsets.length; i++) {
      if (p.getLong(at + offsets[i]) != expected[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * One connection's messages: the one sent next (its first 8 bytes the sequence number), and the numbers to send
   * and to expect next. An object per connection, not arrays indexed by connection: two loop threads writing
   * neighbouring longs of one array would share cache lines on every message.
   */
  private static final class Sequence {
    final ByteBuffer out;
    long sent;
    long expected;

    Sequence(byte[] message) {
      this.out = ByteBuffer.wrap(message);
    }
  }
}
