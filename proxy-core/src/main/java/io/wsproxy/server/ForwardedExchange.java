package io.wsproxy.server;

import io.undertow.client.ClientCallback;
import io.undertow.client.ClientConnection;
import io.undertow.client.ClientExchange;
import io.undertow.client.ClientRequest;
import io.undertow.client.ClientResponse;
import io.undertow.client.http.ClientConnectionAbort;
import io.undertow.client.http.ClientConnectionTls;
import io.undertow.client.http.ResponseHeadFilter;
import io.undertow.client.http.ResponseHeadLimit;
import io.undertow.connector.ByteBufferPool;
import io.undertow.io.IoCallback;
import io.undertow.io.Sender;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpContinue;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.wsproxy.config.Rule;
import io.wsproxy.config.ServerConfig;
import io.wsproxy.routing.HeaderPolicy;
import io.wsproxy.routing.RouteMatch;
import io.wsproxy.spi.AccessLogEntry;
import io.wsproxy.upstream.UpstreamDialer;
import io.wsproxy.upstream.UpstreamTls;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.XnioExecutor;
import org.xnio.channels.StreamSinkChannel;

/**
 * One plain HTTP request on its way through, once its upstream connection is open: the request and its body go
 * up, the response and its body come down, each body streamed by a {@link BodyTransfer}. Two timers bound it:
 * {@code responseTimeout} from the request's last byte to the response's head (then 504), and the
 * {@link BodyTimer} while a body moves (then 408 when the client stopped sending its body, 504 when the upstream
 * stopped taking it, and both connections closed when a response was under way). Everything runs on the
 * exchange's I/O thread, which the upstream connection shares.
 */
final class ForwardedExchange {
    private static final Logger log = LoggerFactory.getLogger(ForwardedExchange.class);
    /** The most of a target's response head read before it is a 502 (Envoy's default: 60 KiB). */
    static final long MAX_RESPONSE_HEAD_BYTES = 64 * 1024;

    private final HttpServerExchange exchange;
    private final RouteMatch match;
    private final ClientConnection upstream;
    private final Duration responseTimeout;
    private final Duration bodyTimeout;
    private final AccessLog accessLog;
    private final long startNanos;
    private final ByteBufferPool pool;
    private final BodyTimer bodyTimer;
    private BodyTransfer requestBody;
    private BodyTransfer responseBody;
    private XnioExecutor.Key responseDeadline;
    private ResponseHeadLimit responseHeadLimit;
    /** A response has begun, the upstream's or one of ours: nothing else may answer. */
    private boolean answered;
    /** We closed the upstream connection: what its client reports from now on is our own doing. */
    private boolean upstreamDropped;

    /** A line in the access log has been written for this request. */
    private boolean logged;
    /** Watches the client while the request waits for its response; null before, after, or when it cannot. */
    private ClientWatch clientWatch;

    ForwardedExchange(HttpServerExchange exchange, RouteMatch match, ClientConnection upstream, ServerConfig server,
                      AccessLog accessLog, long startNanos) {
        this.exchange = exchange;
        this.match = match;
        this.upstream = upstream;
        this.responseTimeout = server.responseTimeout();
        this.bodyTimeout = server.bodyTimeout();
        this.accessLog = accessLog;
        this.startNanos = startNanos;
        this.pool = exchange.getConnection().getByteBufferPool();
        this.bodyTimer = new BodyTimer(exchange.getIoThread(), bodyTimeout.toNanos(), this::bodyStalled);
    }

    void start() {
        exchange.addExchangeCompleteListener((ex, next) -> {
            // Undertow also ends the exchange when the client's connection fails under a response
            boolean whole = answered && (responseBody == null || responseBody.ended());
            if (whole && (requestBody == null || requestBody.ended())) {
                stopTransfers();
                IoUtils.safeClose(upstream);
            } else {
                // a clean close shuts the request body down, and a chunked one with its last chunk: the target
                // would get a whole request made of what the client sent before it went
                dropUpstream();
            }
            logAccess(whole ? HttpAccessLogEntry.COMPLETE : HttpAccessLogEntry.CLIENT_FAILED);
            next.proceed();
        });
        Rule rule = match.rule();
        ClientRequest request = new ClientRequest()
                .setMethod(exchange.getRequestMethod())
                .setPath(match.upstreamPathAndQuery(exchange.getQueryString()));
        HeaderMap headers = HeaderPolicy.upstreamRequest(exchange, match.upstream(), rule.name(), rule.changeOrigin(),
                rule.headers(), false);
        if (!headers.contains(Headers.HOST)) {
            // an HTTP/1.0 client may send none, and the request goes up as HTTP/1.1, which must have one (as upgrades)
            headers.put(Headers.HOST, match.hostHeader());
        }
        if (!headers.contains(Headers.CONTENT_LENGTH) && !exchange.isRequestComplete()) {
            headers.put(Headers.TRANSFER_ENCODING, Headers.CHUNKED.toString());
        }
        if (HttpContinue.requiresContinueResponse(headers)) {
            headers.remove(Headers.EXPECT); // the proxy asks for the body itself (sendRequestBody)
        }
        request.getRequestHeaders().putAll(headers);
        responseHeadLimit = ResponseHeadLimit.apply(upstream, MAX_RESPONSE_HEAD_BYTES);
        ResponseHeadFilter.apply(upstream); // above the limit, which so counts the interim heads too
        upstream.sendRequest(request, new ClientCallback<>() {
            @Override
            public void completed(ClientExchange sent) {
                sent.setResponseListener(new ClientCallback<>() {
                    @Override
                    public void completed(ClientExchange done) {
                        responded(done);
                    }

                    @Override
                    public void failed(IOException e) {
                        upstreamFailed(e);
                    }
                });
                sendRequestBody(sent);
            }

            @Override
            public void failed(IOException e) {
                upstreamFailed(e);
            }
        });
    }

    private void sendRequestBody(ClientExchange sent) {
        StreamSinkChannel sink = sent.getRequestChannel();
        if (!exchange.isRequestComplete() && HttpContinue.requiresContinueResponse(exchange)) {
            // A client that sent "Expect: 100-continue" holds its body back until asked (curl for a second,
            // some clients longer). As nginx and Envoy do, the proxy asks once the target is connected and
            // sends the body on without the expectation, so an unreachable target costs no upload.
            HttpContinue.sendContinueResponse(exchange, new IoCallback() {
                @Override
                public void onComplete(HttpServerExchange ex, Sender sender) {
                    if (!upstreamDropped) {
                        streamRequestBody(sink);
                    }
                }

                @Override
                public void onException(HttpServerExchange ex, Sender sender, IOException e) {
                    transferFailed(e, HttpAccessLogEntry.CLIENT_FAILED);
                }
            });
            return;
        }
        if (!exchange.isRequestComplete()) {
            streamRequestBody(sink);
            return;
        }
        try {
            sink.shutdownWrites();
            if (!sink.flush()) {
                sink.getWriteSetter().set(ChannelListeners.flushingChannelListener(null,
                        (channel, e) -> transferFailed(e, HttpAccessLogEntry.UPSTREAM_FAILED)));
                sink.resumeWrites();
            }
            awaitResponse();
        } catch (IOException e) {
            transferFailed(e, HttpAccessLogEntry.UPSTREAM_FAILED);
        }
    }

    private void streamRequestBody(StreamSinkChannel sink) {
        requestBody = new BodyTransfer(exchange.getRequestChannel(), sink, pool, bodyTimer, this::awaitResponse,
                (e, reading) -> transferFailed(e, reading ? HttpAccessLogEntry.CLIENT_FAILED
                        : HttpAccessLogEntry.UPSTREAM_FAILED));
        requestBody.start();
    }

    /** The request has gone up whole: the response's head has {@code responseTimeout} to come. */
    private void awaitResponse() {
        if (answered) {
            return;
        }
        responseDeadline = exchange.getIoThread().executeAfter(() -> {
            responseDeadline = null;
            answerError(504, "no response from " + match.rule().target() + " within " + responseTimeout.toMillis()
                    + " ms");
        }, responseTimeout.toMillis(), TimeUnit.MILLISECONDS);
        clientWatch = ClientWatch.start(exchange, this::clientLeft);
    }

    /**
     * The client went while its request waited for the response: the target's connection is dropped at once rather
     * than held until it answers or {@code responseTimeout}, and the request is logged 499, as nginx does.
     */
    private void clientLeft() {
        if (!answered) {
            answered = true;
            closeBoth(HttpAccessLogEntry.CLIENT_FAILED);
        }
    }

    private void stopWatchingClient() {
        if (clientWatch != null) {
            clientWatch.stop();
            clientWatch = null;
        }
    }

    private void responded(ClientExchange done) {
        responseHeadLimit.lift();
        stopWatchingClient();
        if (answered) {
            return;
        }
        ClientResponse response = done.getResponse();
        int status = response.getResponseCode();
        if (status == 101) {
            // only a ws: true rule may switch protocols, and those never come here
            answerError(502, "upstream switched protocols on a plain HTTP request");
            return;
        }
        if (status < 200) {
            // ResponseHeadFilter drops interim responses before Undertow's client parses them: one that still
            // comes here is not followed by a final response the client could wait for
            refuse("sent an interim " + status + " response as its answer");
            return;
        }
        String framing = framingProblem(response.getResponseHeaders());
        if (framing != null) {
            refuse("sent " + framing);
            return;
        }
        answered = true;
        cancelResponseDeadline();
        exchange.setStatusCode(status);
        HeaderMap out = exchange.getResponseHeaders();
        out.putAll(response.getResponseHeaders());
        HeaderPolicy.stripHopByHop(out);
        if (!Connectors.isEntityBodyAllowed(status)) {
            // a 204 or 304 ends with its head, whatever Content-Length it carries (a 304's is that of the
            // representation, RFC 9110 8.6), while Undertow's client would wait for that many bytes
            dropUpstream();
            exchange.endExchange();
            return;
        }
        responseBody = new BodyTransfer(done.getResponseChannel(), exchange.getResponseChannel(), pool, bodyTimer,
                () -> { }, (e, reading) -> transferFailed(e, reading ? HttpAccessLogEntry.UPSTREAM_FAILED
                        : HttpAccessLogEntry.CLIENT_FAILED));
        responseBody.start();
    }

    /** Answers 502 instead of the target's response. */
    private void refuse(String what) {
        answered = true;
        cancelResponseDeadline();
        // once Undertow's client is out of the read that brought the head: what it read past the head is only
        // given back to the pool when the connection closes after that
        exchange.getIoThread().execute(() -> answerError(502, "upstream " + match.rule().target() + " " + what));
    }

    /**
     * Why the body's length cannot be told for sure, or null. Relayed as they are, such heads would tell the client
     * one length while another body follows (RFC 9112 6.3: a smuggling or splitting attempt); nginx answers 502.
     */
    private static String framingProblem(HeaderMap headers) {
        HeaderValues codings = headers.get(Headers.TRANSFER_ENCODING);
        HeaderValues lengths = headers.get(Headers.CONTENT_LENGTH);
        if (codings != null) {
            if (lengths != null) {
                return "both Content-Length and Transfer-Encoding";
            }
            // Undertow's client undoes chunked only, and the header stops here: any other coding would reach the
            // client as if it were the body
            return codings.size() == 1 && Headers.CHUNKED.equalToString(codings.getFirst()) ? null
                    : "Transfer-Encoding " + String.join(", ", codings) + ", which the proxy does not decode";
        }
        return lengths != null && lengths.size() > 1 ? "Content-Length " + lengths.size() + " times" : null;
    }

    private void upstreamFailed(IOException e) {
        if (upstreamDropped) {
            return;
        }
        if (answered) {
            closeBoth(HttpAccessLogEntry.UPSTREAM_FAILED);
        } else {
            String why = UpstreamTls.handshakeFailed(ClientConnectionTls.session(upstream)) ? UpstreamTls.HANDSHAKE_FAILED
                    : UpstreamDialer.reason(e);
            answerError(502, "upstream " + match.rule().target() + " failed: " + why);
        }
    }

    private void bodyStalled() {
        long millis = bodyTimeout.toMillis();
        if (answered) {
            log.info("rule {}: {} {} body stalled: no byte moved for {} ms, connections closed", match.rule().name(),
                    exchange.getRequestMethod(), exchange.getRequestURI(), millis);
            closeBoth(HttpAccessLogEntry.STALLED);
        } else if (requestBody != null && requestBody.waitingForSink()) {
            answerError(504, "upstream " + match.rule().target() + " took no request body for " + millis + " ms");
        } else {
            answerError(408, "no request body received for " + millis + " ms");
        }
    }

    /** Our own answer instead of the upstream's: the upstream connection goes (and the client's, if its body is unread). */
    private void answerError(int status, String message) {
        answered = true;
        dropUpstream();
        HttpForwarder.answerError(exchange, match.rule(), status, message);
    }

    private void transferFailed(IOException e, String outcome) {
        log.debug("rule {}: body transfer failed ({})", match.rule().name(), outcome, e);
        if (!answered && outcome.equals(HttpAccessLogEntry.UPSTREAM_FAILED)) {
            answerError(502, "upstream " + match.rule().target() + " failed: " + UpstreamDialer.reason(e));
        } else {
            closeBoth(outcome);
        }
    }

    private void closeBoth(String outcome) {
        logAccess(outcome);
        dropUpstream();
        IoUtils.safeClose(exchange.getConnection());
    }

    private void logAccess(String outcome) {
        if (logged) {
            return;
        }
        logged = true;
        if (outcome.equals(HttpAccessLogEntry.CLIENT_FAILED) && !exchange.isResponseStarted()) {
            exchange.setStatusCode(499); // not Undertow's default 200: the client went before any answer, as nginx logs
        }
        accessLog.write(exchange, match.rule(), AccessLogEntry.address(upstream.getPeerAddress()), startNanos,
                requestBody == null ? 0 : requestBody.written(), responseBody == null ? 0 : responseBody.written(),
                outcome);
    }

    private void dropUpstream() {
        upstreamDropped = true;
        stopTransfers();
        ClientConnectionAbort.abort(upstream);
    }

    private void stopTransfers() {
        bodyTimer.stop();
        cancelResponseDeadline();
        stopWatchingClient();
        if (requestBody != null) {
            requestBody.abandon();
        }
        if (responseBody != null) {
            responseBody.abandon();
        }
    }

    private void cancelResponseDeadline() {
        if (responseDeadline != null) {
            responseDeadline.remove();
            responseDeadline = null;
        }
    }
}
