package io.wsproxy.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads VmRSS from /proc/PID/status for one or more comma-separated pids (summed). */
final class ProcStatus {
  private ProcStatus() {}

  static long rssKib(String pids) throws IOException {
    long total = 0;
    for (String pid : pids.split(",")) {
      if (pid.isBlank()) {
        continue;
      }
      for (String line : Files.readAllLines(Path.of("/proc", pid.trim(), "status"))) {
        if (line.startsWith("VmRSS:")) {
          total += Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    }
    return total;
  }
}
