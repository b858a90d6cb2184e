package io.wsproxy.app;

import io.wsproxy.config.ConfigException;
import io.wsproxy.config.ProxyConfig;
import io.wsproxy.plugin.PluginLoader;
import java.io.PrintStream;
import java.net.BindException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar wsproxy.jar [--config FILE] [--plugins DIR] [--port N] [--help]}: starts the proxy and stops it
 * cleanly on SIGTERM. Errors are one line on stderr and a non-zero exit: 2 for the command line, 1 for the rest.
 */
public final class Main {
    static {
        // before anything logs: XNIO and Undertow log through JBoss Logging, which must pick slf4j
        System.setProperty("org.jboss.logging.provider", "slf4j");
        // before the first TLS handshake, when the JDK reads it: a renegotiation a client starts on the TLS listener
        // goes unanswered in Undertow's TLS layer (its own HTTPS listener alike) until keepAliveTimeout closes the
        // connection; refused at once instead, as nginx does
        if (System.getProperty("jdk.tls.rejectClientInitiatedRenegotiation") == null) {
            System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
        }
    }

    private static final Logger log = LoggerFactory.getLogger(Main.class);
    static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);
    /** How long an exiting process waits for its last log lines to reach a stderr that is slow to take them. */
    static final Duration STDERR_DRAIN = Duration.ofSeconds(2);

    /** Why the program ends without running: {@code code} is the exit status, the message goes to stderr. */
    static final class Exit extends Exception {
        final int code;

        Exit(int code, String message) {
            super(message);
            this.code = code;
        }
    }

    private Main() {
    }

    public static void main(String[] args) {
        NonBlockingStderr.install();
        OutOfMemoryExit.install();
        AtomicReference<ProxyApp> running = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ProxyApp app = running.get();
            if (app != null) {
                log.info("shutting down");
                app.stop(SHUTDOWN_GRACE);
                log.info("stopped");
            }
            NonBlockingStderr.drainInstalled(STDERR_DRAIN);
        }, "wsproxy-shutdown"));
        HangupReload hangups = HangupReload.install(running);
        try {
            ProxyApp app = start(args, System.out);
            running.set(app);
            hangups.started();
        } catch (Exit exit) {
            if (exit.getMessage() != null) {
                System.err.println(exit.getMessage());
            }
            System.exit(exit.code); // the shutdown hook lets stderr drain
        }
    }

    /**
     * Parses the command line and starts the proxy; prints the help, or a check's result, to {@code out}. Never
     * exits the JVM.
     *
     * @throws Exit with status 0 after {@code --help} or a {@code --check} that passed, 2 for a wrong command line,
     *             1 when the proxy cannot start (or a check fails)
     */
    static ProxyApp start(String[] args, PrintStream out) throws Exit {
        Arguments arguments;
        try {
            arguments = Arguments.parse(args);
        } catch (Arguments.UsageException e) {
            throw new Exit(2, "wsproxy: " + e.getMessage() + " (see --help)");
        }
        if (arguments.help()) {
            out.print(Arguments.USAGE);
            out.flush();
            throw new Exit(0, null);
        }
        if (!Files.isRegularFile(arguments.config())) {
            throw new Exit(1, "wsproxy: no rules file at " + arguments.config().toAbsolutePath()
                    + " (use --config FILE)");
        }
        ProxyConfig checked;
        try {
            if (!arguments.check()) {
                return ProxyApp.start(arguments, defaultPluginsDir());
            }
            checked = ProxyApp.check(arguments, defaultPluginsDir());
        } catch (ConfigException e) {
            // file:line first, so that editors and terminals can jump to it
            throw new Exit(1, e.getMessage());
        } catch (PluginLoader.PluginLoadException | IllegalArgumentException e) {
            throw new Exit(1, "wsproxy: " + e.getMessage());
        } catch (Exception e) {
            BindException bind = bindFailure(e);
            if (bind != null) {
                throw new Exit(1, "wsproxy: cannot listen: " + bind.getMessage());
            }
            log.error("cannot start", e);
            throw new Exit(1, "wsproxy: cannot start: " + e);
        }
        out.println("wsproxy: " + checked.source() + ": ok, " + checked.rules().size() + " rules");
        out.flush();
        throw new Exit(0, null);
    }

    /**
     * The {@code plugins/} folder beside the code: beside {@code wsproxy.jar} when run as a jar, and
     * {@code target/plugins} when run from {@code target/classes} (an IDE, the tests).
     */
    static Path defaultPluginsDir() {
        try {
            Path code = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path parent = code.toAbsolutePath().getParent();
            return (parent == null ? code : parent).resolve("plugins");
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("plugins");
        }
    }

    private static BindException bindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof BindException bind) {
                return bind;
            }
        }
        return null;
    }
}
