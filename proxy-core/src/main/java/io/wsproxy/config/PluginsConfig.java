package io.wsproxy.config;

import java.nio.file.Path;

/** @param dir where plugin jars are, resolved against the rules file's folder; null when the file sets none */
public record PluginsConfig(Path dir) {
    public static PluginsConfig none() {
        return new PluginsConfig(null);
    }
}
