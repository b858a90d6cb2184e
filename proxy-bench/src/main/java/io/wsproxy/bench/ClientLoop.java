package io.wsproxy.bench;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/** One load-generator selector thread; {@link ClientConn}s are confined to the loop that opened them. */
final class ClientLoop implements Runnable {
  final Selector selector;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  private volatile boolean running = true;

  ClientLoop(String name) throws IOException {
    selector = Selector.open();
    thread = new Thread(this, name);
    thread.setDaemon(true);
  }

  static ClientLoop[] start(int n) throws IOException {
    ClientLoop[] loops = new ClientLoop[n];
    for (int i = 0; i < n; i++) {
      loops[i] = new ClientLoop("loadgen-" + i);
      loops[i].thread.start();
    }
    return loops;
  }

  static void stopAll(ClientLoop[] loops) throws InterruptedException {
    for (ClientLoop l : loops) {
      l.running = false;
      l.selector.wakeup();
    }
    for (ClientLoop l : loops) {
      l.thread.join(5000);
    }
  }

  void execute(Runnable task) {
    tasks.add(task);
    selector.wakeup();
  }

  @Override
  public void run() {
    while (running) {
      try {
        selector.select(100);
        Runnable task;
        while ((task = tasks.poll()) != null) {
          task.run();
        }
        for (SelectionKey key : selector.selectedKeys()) {
          if (key.isValid()) {
            ((ClientConn) key.attachment()).handle(key);
          }
        }
        selector.selectedKeys().clear();
      } catch (IOException | RuntimeException e) {
        System.err.println("loadgen loop: " + e);
      }
    }
    for (SelectionKey key : selector.keys()) {
      ((ClientConn) key.attachment()).abort(null);
    }
    try {
      selector.close();
    } catch (IOException ignored) {
      // shutting down
    }
  }
}
