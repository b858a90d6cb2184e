package io.wsproxy.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU accounting over the measurement window, from /proc: this load generator, the server pids
 * given with {@code --cpu-pids} (echo backend, proxy), and everything else ("foreign", e.g. a build
 * running in parallel, which makes the numbers untrustworthy). Values are percent of one core.
 */
final class CpuSampler {
  private final String[] pids;
  private long[] start;

  CpuSampler(String pidList) {
    this.pids = pidList.isBlank() ? new String[0] : pidList.split(",");
  }

  /** [machine busy, machine total, self, servers] in clock ticks; zeros when /proc is unreadable. */
  private long[] sample() {
    long[] s = new long[4];
    try {
      String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < Math.min(cpu.length, 9); i++) { // user..steal; guest is already in user
        total += Long.parseLong(cpu[i]);
      }
      long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]);
      s[0] = total - idle;
      s[1] = total;
      s[2] = processTicks("self");
      for (String pid : pids) {
        s[3] += processTicks(pid.trim());
      }
    } catch (IOException | RuntimeException e) {
      return new long[4];
    }
    return s;
  }

  private static long processTicks(String pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", pid, "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime
  }

  void start() {
    start = sample();
  }

  /** Adds cpu_loadgen_pct, cpu_servers_pct, cpu_foreign_pct, cpu_idle_pct (percent of one core). */
  void stop(Result r) {
    long[] end = sample();
    long total = end[1] - start[1];
    if (start[1] == 0 || total <= 0) {
      return;
    }
    int cores = Runtime.getRuntime().availableProcessors();
    double perCore = 100.0 * cores / total;
    long busy = end[0] - start[0];
    long self = end[2] - start[2];
    long servers = end[3] - start[3];
    r.put("cpu_loadgen_pct", self * perCore)
        .put("cpu_servers_pct", servers * perCore)
        .put("cpu_foreign_pct", Math.max(0, busy - self - servers) * perCore)
        .put("cpu_idle_pct", (total - busy) * perCore);
  }
}
