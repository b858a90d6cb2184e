package io.wsproxy.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Minimal "--key value" / "--flag" command line parser; bare words are positional. */
final class Args {
  private final Map<String, String> options = new HashMap<>();
  private final List<String> positional = new ArrayList<>();

  Args(String[] argv) {
    for (int i = 0; i < argv.length; i++) {
      String a = argv[i];
      if (a.startsWith("--")) {
        String key = a.substring(2);
        int eq = key.indexOf('=');
        if (eq >= 0) {
          options.put(key.substring(0, eq), key.substring(eq + 1));
        } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
          options.put(key, argv[++i]);
        } else {
          options.put(key, "true");
        }
      } else {
        positional.add(a);
      }
    }
  }

  List<String> positional() {
    return positional;
  }

  boolean has(String key) {
    return options.containsKey(key);
  }

  String str(String key, String def) {
    return options.getOrDefault(key, def);
  }

  int integer(String key, int def) {
    String v = options.get(key);
    return v == null ? def : Integer.parseInt(v);
  }

  double dbl(String key, double def) {
    String v = options.get(key);
    return v == null ? def : Double.parseDouble(v);
  }

  boolean flag(String key) {
    return Boolean.parseBoolean(options.getOrDefault(key, "false"));
  }
}
