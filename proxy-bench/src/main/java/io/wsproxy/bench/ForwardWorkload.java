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
 * upstream sending R itself with the same in-flight count, labelled with {@code --target} (the
 * upstream URLs may lead through a relay). R is a JSON string of about 64 bytes.
 * {@code --mode both} (default) runs mux then direct (labelled direct3), printing one RESULT line each. Each reply is
 * answered by a new request to the same upstream, and round trips are timed per upstream in FIFO
 * order (the proxy keeps each upstream's order), so both modes report p50/p99/p99.9 too.
 */
final class ForwardWorkload extends Workload {
  private static final byte[] URL_PREFIX = "{\"type\":\"forward\",\"url\":\"".getBytes(StandardCharsets.US_ASCII);
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
      // with --mode direct the upstream URLs may lead through the target (a relay): label it so;
      // with both, the direct connections bypass the target
      measure("direct", mode.equals("direct") ? label : "direct" + upstreams.size(), direct, raw);
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
    Histogram roundTrips = new Histogram();
    List<byte[]> urls = new ArrayList<>();
    for (String u : upstreams) {
      urls.add((u + "\",\"forward\":").getBytes(StandardCharsets.UTF_8)); // a reply, not the request bounced
    }
    loops = ClientLoop.start(mux ? 1 : threads);
    boolean[] running = {true};
    try {
      for (int i = 0; i < targets.size(); i++) {
        List<ByteBuffer> mine = mux ? messages : List.of(messages.get(i));
        // send times per upstream, oldest first: replies from one upstream come back in order
        List<java.util.ArrayDeque<Long>> sentAt = new ArrayList<>();
        for (int j = 0; j < mine.size(); j++) {
          sentAt.add(new java.util.ArrayDeque<>());
        }
        ClientConn.Listener listener = new ClientConn.Listener() {
          @Override
          public void onOpen(ClientConn c) {
            opened.incrementAndGet();
            for (int j = 0; j < mine.size(); j++) {
              for (int k = 0; k < inflight; k++) {
                sentAt.get(j).add(System.nanoTime());
                c.send(FrameCodec.OP_TEXT, mine.get(j));
              }
            }
          }

          @Override
          public void onMessage(ClientConn c, int opcode, ByteBuffer p) {
            int j = mux ? upstreamOf(p, urls) : 0;
            if (j < 0) {
              unexpected.increment();
              return;
            }
            replies.increment();
            long now = System.nanoTime();
            Long sent = sentAt.get(j).poll();
            if (sent != null) {
              roundTrips.record((now - sent) / 1000);
            }
            sentAt.get(j).add(now);
            c.send(FrameCodec.OP_TEXT, mine.get(j));
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
      roundTrips.reset();
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
          .put("p50_us", roundTrips.quantile(0.50)).put("p99_us", roundTrips.quantile(0.99))
          .put("p999_us", roundTrips.quantile(0.999))
          .put("unexpected_replies", unexpected.sum()).put("errors", errors.sum())
          .put("first_error", errorText()).print();
    } finally {
      running[0] = false;
      ClientLoop.stopAll(loops);
    }
  }

  /** Which upstream a wrapped reply names, by the url and "forward" key right after the prefix; -1 if none. */
  private static int upstreamOf(ByteBuffer p, List<byte[]> urls) {
    if (!startsWith(p, URL_PREFIX)) {
      return -1;
    }
    int at = p.position() + URL_PREFIX.length;
    for (int j = 0; j < urls.size(); j++) {
      byte[] url = urls.get(j);
      if (p.limit() - at >= url.length && p.slice(at, url.length).equals(ByteBuffer.wrap(url))) {
        return j;
      }
    }
    return -1;
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
