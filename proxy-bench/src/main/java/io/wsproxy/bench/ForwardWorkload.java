package io.wsproxy.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Forward-plugin multiplexing (needs the wsproxy forward plugin). Mode "mux": ONE connection to
 * {@code --url} sends text envelopes {@code {"type":"forward","url":U,"request":R}} round-robin
 * to the {@code --upstreams} URLs (comma-separated), keeping {@code --inflight} per upstream, and
 * counts replies {@code {"type":"forward","url":U,"forward":M}}. Mode "direct": one connection per
 * upstream sending R itself with the same in-flight count. R is a JSON string of about 64 bytes.
 * {@code --mode both} (default) runs mux then direct, printing one RESULT line each.
 */
final class ForwardWorkload extends Workload {
  private static final byte[] REPLY_PREFIX = "{\"type\":\"forward\"".getBytes(StandardCharsets.US_ASCII);
  private final List<String> upstreams = new ArrayList<>();
  private final int inflight;
  private final String mode;

  ForwardWorkload(Args args) throws Exception {
    super(args, 10, 0);
    for (String u : args.str("upstreams", "").split(",")) {
      if (!u.isBlank()) {
        upstreams.add(u.trim());
      }
    }
    if (upstreams.isEmpty()) {
      throw new IllegalArgumentException("forward needs --upstreams ws://a,ws://b,ws://c");
    }
    this.inflight = args.integer("inflight", 8);
    this.mode = args.str("mode", "both");
  }

  static String request() {
    return "\"" + new String(payloadBytes(62), StandardCharsets.US_ASCII) + "\"";
  }

  static String envelope(String url) {
    return "{\"type\":\"forward\",\"url\":\"" + url + "\",\"request\":" + request() + "}";
  }

  @Override
  void run() throws Exception {
    if (!mode.equals("direct")) {
      measure("mux", label, List.of(target), envelopes());
    }
    if (!mode.equals("mux")) {
      List<Target> direct = new ArrayList<>();
      List<ByteBuffer> raw = new ArrayList<>();
      for (String u : upstreams) {
        direct.add(new Target(u));
        raw.add(ByteBuffer.wrap(request().getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer());
      }
      measure("direct", "direct" + upstreams.size(), direct, raw);
    }
  }

  private List<ByteBuffer> envelopes() {
    List<ByteBuffer> list = new ArrayList<>();
    for (String u : upstreams) {
      list.add(ByteBuffer.wrap(envelope(u).getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer());
    }
    return list;
  }

  /**
   * mux: one target, all messages; direct: target i gets messages.get(i). Each connection keeps
   * {@code inflight} of each of its messages outstanding and resends the same kind on each reply.
   */
  private void measure(String m, String targetLabel, List<Target> targets, List<ByteBuffer> messages)
      throws Exception {
    boolean mux = m.equals("mux");
    LongAdder replies = new LongAdder();
    LongAdder errors = new LongAdder();
    LongAdder unexpected = new LongAdder();
    AtomicInteger opened = new AtomicInteger();
    int[] next = new int[1];
    loops = ClientLoop.start(mux ? 1 : threads);
    boolean[] running = {true};
    try {
      for (int i = 0; i < targets.size(); i++) {
        List<ByteBuffer> mine = mux ? messages : List.of(messages.get(i));
        ClientConn.Listener listener = new ClientConn.Listener() {
          @Override
          public void onOpen(ClientConn c) {
            opened.incrementAndGet();
            for (ByteBuffer msg : mine) {
              for (int k = 0; k < inflight; k++) {
                c.send(FrameCodec.OP_TEXT, msg);
              }
            }
          }

          @Override
          public void onMessage(ClientConn c, int opcode, ByteBuffer p) {
            replies.increment();
            if (mux && !startsWith(p, REPLY_PREFIX)) {
              unexpected.increment();
            }
            // keep the per-upstream mix even: resend round-robin (replies may be reordered)
            c.send(FrameCodec.OP_TEXT, mine.get(next[0]++ % mine.size()));
          }

          @Override
          public void onClosed(ClientConn c, Throwable error) {
            if (running[0]) {
              errors.increment();
              noteError(error == null ? new IllegalStateException("closed early") : error);
            }
          }
        };
        ClientConn c = new ClientConn(loops[i % loops.length], i, targets.get(i), null, listener);
        c.loop.execute(c::connect);
      }
      if (!await(() -> opened.get() == targets.size(), 10)) {
        new Result("forward", targetLabel).put("mode", m).put("error", "not_all_opened")
            .put("first_error", errorText()).print();
        return;
      }
      sleep(warmupSeconds);
      long r0 = replies.sum();
      long t0 = System.nanoTime();
      cpu.start();
      sleep(durationSeconds);
      long r1 = replies.sum();
      double secs = (System.nanoTime() - t0) / 1e9;
      Result r = new Result("forward", targetLabel);
      cpu.stop(r);
      r.put("mode", m).put("connections", targets.size())
          .put("upstreams", upstreams.size()).put("inflight_per_upstream", inflight)
          .put("duration_s", secs).put("msgs_per_s", (r1 - r0) / secs)
          .put("unexpected_replies", unexpected.sum()).put("errors", errors.sum())
          .put("first_error", errorText()).print();
    } finally {
      running[0] = false;
      ClientLoop.stopAll(loops);
    }
  }

  private static boolean startsWith(ByteBuffer p, byte[] prefix) {
    if (p.remaining() < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (p.get(p.position() + i) != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
