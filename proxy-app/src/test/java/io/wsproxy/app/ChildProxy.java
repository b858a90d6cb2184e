package io.wsproxy.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The real {@code main} in a JVM of its own, on the test's class path, with its output read line by line. */
final class ChildProxy implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on \\S+:(\\d+)");

    final Process process;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder seen = new StringBuilder();

    private boolean paused;

    private ChildProxy(Process process) {
        this.process = process;
        CompletableFuture.runAsync(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; awaitUnpaused() && (line = in.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException | InterruptedException e) {
                lines.add("read failed: " + e);
            }
        });
    }

    /**
     * Stops reading the child's output, as a stalled log reader would: once the pipe's buffer is full, whatever
     * the child writes to stdout or stderr waits or is dropped. {@link #close()} reads again.
     */
    synchronized void stopReading() {
        paused = true;
    }

    private synchronized boolean awaitUnpaused() throws InterruptedException {
        while (paused) {
            wait();
        }
        return true;
    }

    /** Starts {@code wsproxy} on port 0 in {@code dir}, with the real plugins and the rules in {@code yaml}. */
    static ChildProxy start(Path dir, String yaml) throws IOException {
        return start(TestPlugins.rules(dir, "rules.yaml", yaml), TestPlugins.pluginsFolder(dir), null);
    }

    /**
     * Starts {@code wsproxy} on port 0 in {@code dir}, with the real plugins and one rule: {@code /echo} answered by
     * the built-in echo plugin. {@code shellPrefix} (e.g. a ulimit), when not null, runs in the shell first;
     * {@code jvmOptions} (e.g. a heap size) go to the child's JVM.
     */
    static ChildProxy startEcho(Path dir, String shellPrefix, String... jvmOptions) throws IOException {
        Path rules = TestPlugins.rules(dir, "rules.yaml", """
                server: { host: 127.0.0.1 }
                rules:
                  - name: echo
                    pattern: "^/echo$"
                    plugin: echo
                """);
        return start(rules, TestPlugins.pluginsFolder(dir), shellPrefix, jvmOptions);
    }

    private static ChildProxy start(Path rules, Path plugins, String shellPrefix, String... jvmOptions)
            throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>();
        if (shellPrefix != null) {
            command.addAll(List.of("bash", "-c", shellPrefix + " && exec \"$@\"", "wsproxy"));
        }
        command.add(java.toString());
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.wsproxy.app.Main",
                "--config", rules.toString(), "--plugins", plugins.toString(), "--port", "0"));
        return new ChildProxy(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    /** The port from the "listening on" line. */
    int awaitPort() throws InterruptedException {
        return Integer.parseInt(awaitLine(LISTENING, TimeUnit.SECONDS.toNanos(20)).group(1));
    }

    /** The next line matching {@code pattern} within {@code timeoutNanos}; fails with all output seen so far. */
    Matcher awaitLine(Pattern pattern, long timeoutNanos) throws InterruptedException {
        Matcher m = nextLine(pattern, timeoutNanos);
        if (m == null) {
            throw new AssertionError("no line matching " + pattern + " in the output:\n" + seen);
        }
        return m;
    }

    /** The next line matching {@code pattern} within {@code timeoutNanos}, or null. */
    Matcher nextLine(Pattern pattern, long timeoutNanos) throws InterruptedException {
        long end = System.nanoTime() + timeoutNanos;
        for (long left = timeoutNanos; left > 0; left = end - System.nanoTime()) {
            String line = lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null) {
                break;
            }
            seen.append(line).append('\n');
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                return m;
            }
        }
        return null;
    }

    String output() {
        return seen.toString();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        synchronized (this) {
            paused = false;
            notifyAll();
        }
    }
}
