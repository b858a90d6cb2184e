package io.wsproxy.server;

import io.wsproxy.spi.AccessLogEntry;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per closed WebSocket on the {@code wsproxy.access} logger, as key=value pairs for grep and awk; an
 * optional listener sees each entry too (tests, metrics).
 */
final class AccessLog {
    private static final Logger log = LoggerFactory.getLogger("wsproxy.access");
    private final Consumer<AccessLogEntry> listener;

    AccessLog(Consumer<AccessLogEntry> listener) {
        this.listener = listener;
    }

    void write(AccessLogEntry e) {
        if (log.isInfoEnabled()) {
            log.info("rule={} client={} upstream={} duration_ms={} bytes_in={} bytes_out={} close={} closed_by={}",
                    e.rule(), e.clientAddress(), e.upstream(), e.duration().toMillis(), e.bytesFromClient(),
                    e.bytesFromUpstream(), e.closeCode(), e.closedBy());
        }
        if (listener != null) {
            listener.accept(e);
        }
    }
}
