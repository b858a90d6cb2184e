package io.wsproxy.bench;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Thread-safe log-linear histogram of non-negative longs (microseconds here): exact below 256,
 * then 128 sub-buckets per power of two, i.e. under 1% relative error.
 */
final class Histogram {
  private static final int SUB_BITS = 7;
  private static final int SUB = 1 << SUB_BITS;
  private final AtomicLongArray counts = new AtomicLongArray(SUB * 60);

  void record(long value) {
    counts.incrementAndGet(index(Math.max(0, value)));
  }

  static int index(long v) {
    if (v < 2 * SUB) {
      return (int) v;
    }
    int shift = 63 - Long.numberOfLeadingZeros(v) - SUB_BITS;
    return SUB * shift + (int) (v >>> shift);
  }

  /** Highest value that maps to the bucket (reporting the bucket's top is conservative). */
  static long highestValue(int index) {
    if (index < 2 * SUB) {
      return index;
    }
    int shift = index / SUB - 1;
    long mantissa = index - (long) SUB * shift;
    return ((mantissa + 1) << shift) - 1;
  }

  long count() {
    long n = 0;
    for (int i = 0; i < counts.length(); i++) {
      n += counts.get(i);
    }
    return n;
  }

  /** Value at quantile q in [0,1]; 0 when empty. */
  long quantile(double q) {
    long total = count();
    if (total == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(q * total));
    long seen = 0;
    for (int i = 0; i < counts.length(); i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return highestValue(i);
      }
    }
    return highestValue(counts.length() - 1);
  }

  void reset() {
    for (int i = 0; i < counts.length(); i++) {
      counts.set(i, 0);
    }
  }
}
