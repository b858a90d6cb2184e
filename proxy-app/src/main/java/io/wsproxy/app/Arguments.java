package io.wsproxy.app;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The command line, parsed: {@code [--config FILE] [--plugins DIR] [--port N] [--check] [--help]}, each option
 * also written {@code --name=value}. {@code --help} anywhere wins over everything else.
 *
 * @param config  the rules file
 * @param plugins the plugins folder, or null to take the rules file's {@code plugins.dir} or the default
 * @param port    overrides {@code server.port}, or null
 * @param check   only check the rules file and the plugins, as {@code nginx -t} does
 */
record Arguments(Path config, Path plugins, Integer port, boolean check, boolean help) {
    static final Path DEFAULT_CONFIG = Path.of("rules.yaml");

    static final String USAGE = """
            Usage: java -jar wsproxy.jar [--config FILE] [--plugins DIR] [--port N] [--check]

              --config FILE   the rules file (default: ./rules.yaml)
              --plugins DIR   the folder of plugin jars (default: the rules file's plugins.dir,
                              else the plugins/ folder beside wsproxy.jar)
              --port N        listen on port N instead of the rules file's server.port (0 = any free port)
              --check         check the rules file and the plugins, then exit (0: fit to start or reload)
              --help          print this help and exit

            A running proxy reloads its rules file on SIGHUP (kill -HUP PID).
            """;

    /** The command line was wrong; the message says how, in one line. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    static Arguments parse(String... args) throws UsageException {
        Path config = null;
        Path plugins = null;
        Integer port = null;
        boolean check = false;
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                return new Arguments(DEFAULT_CONFIG, null, null, false, true);
            }
        }
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            int eq = arg.indexOf('=');
            String name = arg.startsWith("--") && eq > 0 ? arg.substring(0, eq) : arg;
            String value;
            if (eq > 0 && arg.startsWith("--")) {
                value = arg.substring(eq + 1);
            } else if (isOption(name) && i + 1 < args.length && !args[i + 1].startsWith("--")) {
                value = args[++i];
            } else {
                value = null;
            }
            switch (name) {
                case "--config" -> config = path(name, once(name, config, required(name, value)));
                case "--plugins" -> plugins = path(name, once(name, plugins, required(name, value)));
                case "--port" -> port = port(once(name, port, required(name, value)));
                case "--check" -> {
                    if (value != null) {
                        throw new UsageException("--check takes no value");
                    }
                    check = true;
                }
                default -> throw new UsageException(arg.startsWith("-")
                        ? "unknown option '" + name + "'" : "unexpected argument '" + arg + "'");
            }
        }
        return new Arguments(config == null ? DEFAULT_CONFIG : config, plugins, port, check, false);
    }

    private static boolean isOption(String name) {
        return name.equals("--config") || name.equals("--plugins") || name.equals("--port");
    }

    private static String required(String name, String value) throws UsageException {
        if (value == null || value.isBlank()) {
            throw new UsageException(name + " needs a value");
        }
        return value;
    }

    private static String once(String name, Object previous, String value) throws UsageException {
        if (previous != null) {
            throw new UsageException(name + " is given twice");
        }
        return value;
    }

    private static Path path(String name, String value) throws UsageException {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new UsageException(name + ": invalid path '" + value + "': " + e.getReason());
        }
    }

    private static int port(String value) throws UsageException {
        try {
            int port = Integer.parseInt(value.strip());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--port: expected a port from 0 to 65535, got '" + value + "'");
    }
}
