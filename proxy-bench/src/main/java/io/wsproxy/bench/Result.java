package io.wsproxy.bench;

import java.util.Locale;

/** Builds the single machine-readable output line: {@code RESULT key=value key=value ...}. */
final class Result {
  private final StringBuilder line = new StringBuilder("RESULT");

  Result(String workload, String target) {
    put("workload", workload).put("target", target);
  }

  Result put(String key, Object value) {
    String v = String.valueOf(value).replace(' ', '_');
    line.append(' ').append(key).append('=').append(v);
    return this;
  }

  Result put(String key, long value) {
    line.append(' ').append(key).append('=').append(value);
    return this;
  }

  Result put(String key, double value) {
    line.append(' ').append(key).append('=').append(String.format(Locale.ROOT, "%.1f", value));
    return this;
  }

  void print() {
    System.out.println(line);
    System.out.flush();
  }
}
