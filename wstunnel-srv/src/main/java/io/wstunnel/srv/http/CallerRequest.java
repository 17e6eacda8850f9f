package io.wstunnel.srv.http;

import io.undertow.server.HttpServerExchange;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.srv.tunnel.AgentStream;
import io.wstunnel.srv.tunnel.OwnedCallerStream;
import io.wstunnel.srv.tunnel.Tunnel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;

/**
 * Bridges one caller's exchange and its tunnel stream without blocking. Owner: the exchange's IO
 * thread — every event from the tunnel is posted there, so the fields below, and those of its
 * {@link RequestBodyPump} and {@link ResponseWriter}, need no lock. This class decides how the
 * request ends (statuses, broken responses, dropped callers) and logs it once; the pump moves the
 * request body to the agent, the writer moves the response to the caller.
 *
 * <p>Memory per request is bounded by the stream windows: at most one read buffer of request body
 * and at most the server's receive window of response body are held.
 */
public final class CallerRequest extends OwnedCallerStream {
    private static final Logger log = LoggerFactory.getLogger(CallerRequest.class);

    private final HttpServerExchange exchange;
    private final boolean hasBody;
    private final RequestLog requestLog;
    private final long startNanos = System.nanoTime();
    private final io.wstunnel.srv.admin.RequestInfo info;
    private final RequestBodyPump body;
    private final ResponseWriter response;

    /** The status the request is logged with; 0 means the exchange's. */
    private int status;
    private boolean logged;

    CallerRequest(HttpServerExchange exchange, Tunnel tunnel, RequestHead head, String requestId, long timeoutMillis,
                  int receiveWindow, RequestLog requestLog) {
        this(exchange, tunnel, head, requestId, timeoutMillis, receiveWindow, requestLog, 0);
    }

    /** @param maxBodyBytes request body limit (0 = none): beyond it, 413 or a broken stream and RESET */
    CallerRequest(HttpServerExchange exchange, Tunnel tunnel, RequestHead head, String requestId, long timeoutMillis,
                  int receiveWindow, RequestLog requestLog, long maxBodyBytes) {
        super(exchange.getIoThread(), tunnel, head, requestId, timeoutMillis, receiveWindow);
        this.exchange = exchange;
        this.hasBody = RequestHeads.hasBody(exchange);
        this.requestLog = requestLog;
        this.info = new io.wstunnel.srv.admin.RequestInfo(requestId(), tunnel, head.method(), head.target(),
                io.wstunnel.srv.admin.RequestInfo.hostPort(exchange.getSourceAddress()));
        this.body = new RequestBodyPump(this, exchange, requestLog.events(), info, maxBodyBytes);
        this.response = new ResponseWriter(this, exchange, requestLog.events(), info);
    }

    /** Starts routing; call on the owner thread inside a dispatched exchange. */
    void start() {
        requestLog.started(info);
        exchange.addExchangeCompleteListener((ex, next) -> {
            if (phase() != Phase.DONE) {
                callerGone("exchange ended early");
            }
            logCompletion();
            next.proceed();
        });
        startTimeout();
        if (hasBody && exchange.getRequestContentLength() < 0) {
            body.prefetch(); // submits once the first bytes are read
            return;
        }
        submit();
    }

    // ------------------------------------------------------------------ CallerStream (any thread)

    @Override
    public boolean hasBody() {
        return hasBody;
    }

    // ------------------------------------------------------------------ owner thread

    @Override
    protected void writable() {
        body.pump();
    }

    @Override
    protected void failed(int status, String reason) {
        failNow(status, reason);
    }

    @Override
    protected void queueFull() {
        reject("queue_full", 504, "too many requests in-flight, tunnel broken?");
    }

    @Override
    protected void timedOut() {
        reject("timeout", 504, "Tunnel timeout");
    }

    @Override
    protected boolean routeAgain(String reason) {
        if (body.bytesIn() != 0) {
            return false; // its body has started: it cannot be sent again
        }
        log.debug("req {} not processed by the agent ({}), routing it again", requestId(), reason);
        return true;
    }

    @Override
    protected void opened() {
        if (hasBody) {
            body.opened();
        }
    }

    @Override
    protected void replied(ResponseHead h, boolean endStream) {
        status = h.status();
        response.head(h, endStream);
    }

    @Override
    protected void data(ByteBuffer data, boolean endStream) {
        response.data(data, endStream);
    }

    /** The whole response is handed to the caller's socket: flush and end. */
    void finish() {
        // The agent may answer before reading the whole body: then stop the upload, drop the connection after.
        boolean uploading = hasBody && !body.ended();
        end(uploading ? "response complete" : null);
        if (uploading) {
            exchange.setPersistent(false);
        }
        response.close();
    }

    @Override
    protected void reset(ErrorCode code, String reason) {
        if (phase() == Phase.REPLIED) {
            breakResponse("stream reset after the response started: " + code + " " + reason);
            return;
        }
        if (code == ErrorCode.INTERNAL_ERROR && "tunnel connection lost".equals(reason)) {
            failNow(502, "Tunnel connection lost before the response was complete");
        } else {
            failNow(502, "Tunnel stream failed: " + code + (reason.isEmpty() ? "" : " " + reason));
        }
    }

    /** Counts the rejection as {@code event}, then fails the request with {@code code}. */
    void reject(String event, int code, String reason) {
        requestLog.events().requestRejected(info, event);
        failNow(code, reason);
    }

    /** Answers with a plain-text error, or breaks the response if it has already started. */
    private void failNow(int code, String reason) {
        if (phase() == Phase.DONE) {
            return;
        }
        if (phase() == Phase.REPLIED) {
            breakResponse(reason);
            return;
        }
        end(reason);
        if (hasBody && !body.ended()) {
            body.suspend();
            exchange.setPersistent(false);
        }
        status = code;
        PlainText.send(exchange, code, reason);
    }

    /** The response started but cannot complete: the caller must see a broken response. */
    private void breakResponse(String why) {
        log.info("req {} broken mid-response: {}", requestId(), why);
        end(why);
        response.discard();
        if (closeDelimited()) {
            // the end of the connection is the end of the body: a plain close would look complete
            try {
                exchange.getConnection().setOption(org.xnio.Options.CLOSE_ABORT, true);
            } catch (IOException | RuntimeException e) {
                log.debug("req {}: cannot arm a reset on close: {}", requestId(), e.toString());
            }
        }
        IoUtils.safeClose(exchange.getConnection());
        logCompletion();
    }

    /**
     * The HTTP/1.x response (to HTTP/1.0, or HTTP/1.1 with Connection: close) has neither Content-Length
     * nor chunking. Never for HTTP/2: its connection carries other streams.
     */
    private boolean closeDelimited() {
        io.undertow.util.HeaderMap h = exchange.getResponseHeaders();
        return (exchange.isHttp10() || exchange.isHttp11()) && !h.contains(io.undertow.util.Headers.CONTENT_LENGTH) && !h.contains(io.undertow.util.Headers.TRANSFER_ENCODING);
    }

    /** The caller went away: cancel the stream so the agent aborts the local request. */
    void callerGone(String why) {
        if (phase() == Phase.DONE) {
            return;
        }
        end("caller went away");
        response.discard();
        status = status == 0 ? 499 : status;
        drop(why);
    }

    /** The caller's connection is unusable: close it and log the request. */
    void drop(String why) {
        log.debug("req {} caller gone: {}", requestId(), why);
        IoUtils.safeClose(exchange.getConnection());
        logCompletion();
    }

    private void logCompletion() {
        if (!logged) {
            logged = true;
            requestLog.completed(info, status == 0 ? exchange.getStatusCode() : status, body.bytesIn(),
                    response.bytesOut(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        }
    }

    io.wstunnel.srv.admin.RequestInfo info() {
        return info;
    }

    // ------------------------------------------------------------------ for the pump and the writer (owner thread)
    // The lifecycle methods they need are protected in OwnedCallerStream, another package: these pass them on.
    // They stay protected (owner-thread operations only subclasses drive); an interface would only move
    // these delegations into OwnedCallerStream.

    boolean queued() {
        return phase() == Phase.QUEUED;
    }

    boolean replying() {
        return phase() == Phase.REPLIED;
    }

    /** The attached agent stream, or null when not OPENED or REPLIED. */
    AgentStream agent() {
        return stream();
    }

    /** See {@link #agentRoom()}. */
    int room() {
        return agentRoom();
    }

    /** See {@link #submit()}. */
    void route() {
        submit();
    }

    /** See {@link #credit(int, boolean)}. */
    void credited(int n, boolean agentEnded) {
        credit(n, agentEnded);
    }
}
