package io.wsproxy.server;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

/** The small JSON body the proxy answers its own errors with: {@code {"status":404,"error":"...","path":"..."}}. */
final class JsonError {
    private JsonError() {
    }

    static void send(HttpServerExchange exchange, int status, String error) {
        if (exchange.isResponseStarted()) {
            org.xnio.IoUtils.safeClose(exchange.getConnection()); // nothing honest can be added to a response under way
            return;
        }
        if (!exchange.isRequestComplete()) {
            // else Undertow reads the rest of the body to keep the connection, for as long as the client takes
            exchange.setPersistent(false);
        }
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send("{\"status\":" + status + ",\"error\":" + quote(error)
                + ",\"path\":" + quote(exchange.getRequestURI()) + "}");
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
