package io.wstunnel.srv.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Header;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.srv.tunnel.OwnedCallerStream;
import io.wstunnel.srv.tunnel.Tunnel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;

/**
 * Bridges one caller's exchange and its tunnel stream without blocking. Owner: the exchange's IO
 * thread — every event from the tunnel is posted there, so the fields below need no lock.
 *
 * <p>Memory per request is bounded by the stream windows: at most one read buffer of request body
 * and at most the server's receive window of response body are held here.
 */
public final class CallerRequest extends OwnedCallerStream {
    private static final Logger log = LoggerFactory.getLogger(CallerRequest.class);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final HttpServerExchange exchange;
    private final boolean hasBody;
    private final RequestLog requestLog;
    private final long startNanos = System.nanoTime();
    private final io.wstunnel.srv.admin.RequestInfo info;

    private StreamSourceChannel requestChannel;
    private ByteBuffer readBuffer;
    private boolean requestEnded;
    private long bytesIn;
    private StreamSinkChannel responseChannel;
    private final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();
    private boolean responseEnded;
    private long bytesOut;
    private int status;
    private boolean logged;
    private final long maxBodyBytes;
    /** Chunked bodies: the first bytes, read before the request is routed (see {@link #prefetchChunked}). */
    private ByteBuffer prefetched;
    private boolean prefetchEof;

    CallerRequest(HttpServerExchange exchange, Tunnel tunnel, RequestHead head, String requestId, long timeoutMillis,
                  int receiveWindow, RequestLog requestLog) {
        this(exchange, tunnel, head, requestId, timeoutMillis, receiveWindow, requestLog, 0);
    }

    /** @param maxBodyBytes request body limit (0 = none): beyond it, 413 or a broken stream and RESET */
    CallerRequest(HttpServerExchange exchange, Tunnel tunnel, RequestHead head, String requestId, long timeoutMillis,
                  int receiveWindow, RequestLog requestLog, long maxBodyBytes) {
        super(exchange.getIoThread(), tunnel, head, requestId, timeoutMillis, receiveWindow);
        this.maxBodyBytes = maxBodyBytes;
        this.exchange = exchange;
        this.hasBody = RequestHeads.hasBody(exchange);
        this.requestLog = requestLog;
        this.info = new io.wstunnel.srv.admin.RequestInfo(requestId(), tunnel, head.method(), head.target(),
                io.wstunnel.srv.admin.RequestInfo.hostPort(exchange.getSourceAddress()));
    }

    /** Starts routing; call on the owner thread inside a dispatched exchange. */
    void start() {
        requestLog.started(this);
        exchange.addExchangeCompleteListener((ex, next) -> {
            if (phase() != Phase.DONE) {
                callerGone("exchange ended early");
            }
            logCompletion();
            next.proceed();
        });
        startTimeout();
        if (hasBody && exchange.getRequestContentLength() < 0) {
            prefetchChunked();
            return;
        }
        submit();
    }

    /**
     * A chunked body is only parsed as it is read: read its first bytes before anything is sent to the
     * agent, so that a request with a malformed or absurd first chunk header gets a 400 (see
     * {@link StrictChunkedConduit}) and is never forwarded.
     */
    private void prefetchChunked() {
        if (phase() != Phase.QUEUED) {
            return;
        }
        if (requestChannel == null) {
            requestChannel = exchange.getRequestChannel();
            readBuffer = ByteBuffer.allocate(64 * 1024);
            requestChannel.getReadSetter().set(ch -> {
                if (prefetched == null && !prefetchEof) {
                    prefetchChunked();
                } else {
                    pumpRequest();
                }
            });
        }
        int n;
        try {
            readBuffer.clear();
            n = requestChannel.read(readBuffer);
        } catch (MalformedBodyException e) {
            requestLog.events().requestRejected(info, "malformed_body");
            failNow(400, e.getMessage());
            return;
        } catch (IOException e) {
            callerGone("request body: " + e.getMessage());
            return;
        }
        if (n == 0) {
            requestChannel.resumeReads();
            return;
        }
        requestChannel.suspendReads();
        if (n < 0) {
            prefetchEof = true;
            prefetched = ByteBuffer.allocate(0);
        } else {
            readBuffer.flip();
            prefetched = ByteBuffer.allocate(n).put(readBuffer).flip();
            if (maxBodyBytes > 0 && n > maxBodyBytes) {
                requestLog.events().requestRejected(info, "body_too_large");
                failNow(413, "Request body too large (limit " + maxBodyBytes + " bytes)");
                return;
            }
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
        pumpRequest();
    }

    @Override
    protected void failed(int status, String reason) {
        failNow(status, reason);
    }

    @Override
    protected void queueFull() {
        requestLog.events().requestRejected(info, "queue_full");
        failNow(504, "too many requests in-flight, tunnel broken?");
    }

    @Override
    protected void timedOut() {
        requestLog.events().requestRejected(info, "timeout");
        failNow(504, "Tunnel timeout");
    }

    @Override
    protected boolean routeAgain(String reason) {
        if (bytesIn != 0) {
            return false; // its body has started: it cannot be sent again
        }
        log.debug("req {} not processed by the agent ({}), routing it again", requestId(), reason);
        return true;
    }

    @Override
    protected void opened() {
        if (hasBody && requestEnded) {
            // Routed again after its (empty) body ended on a stream the agent did not process: this
            // stream needs its end too.
            stream().sendData(EMPTY, true);
            return;
        }
        if (hasBody) {
            if (requestChannel != null) {
                requestChannel.getReadSetter().set(ch -> pumpRequest());
            }
            if (requestChannel == null) {
                requestChannel = exchange.getRequestChannel();
                readBuffer = ByteBuffer.allocate(Math.min(64 * 1024, stream().maxFramePayload()));
                requestChannel.getReadSetter().set(ch -> pumpRequest());
            }
            pumpRequest();
        }
    }

    /** Moves request body to the agent while it has credit; suspends reads otherwise. */
    private void pumpRequest() {
        if (requestEnded || requestChannel == null) {
            return;
        }
        if (stream() == null) {
            if (phase() == Phase.QUEUED) {
                // Queued again with reads armed: no read listener may fire until opened() pumps again.
                requestChannel.suspendReads();
            }
            return;
        }
        try {
            if (!sendPrefetched()) {
                return;
            }
            while (true) {
                int room = agentRoom();
                if (room == 0) {
                    requestChannel.suspendReads(); // onWritable() resumes
                    return;
                }
                readBuffer.clear().limit(Math.min(room, readBuffer.capacity()));
                int n = requestChannel.read(readBuffer);
                if (n < 0) {
                    long declared = exchange.getRequestContentLength();
                    if (declared >= 0 && bytesIn < declared) {
                        // The caller went away mid-body: never let a truncated body look complete.
                        callerGone("request body ended after " + bytesIn + " of " + declared + " bytes");
                        return;
                    }
                    requestEnded = true;
                    requestChannel.suspendReads();
                    stream().sendData(EMPTY, true);
                    return;
                }
                if (n == 0) {
                    requestChannel.resumeReads();
                    return;
                }
                readBuffer.flip();
                bytesIn += n;
                if (maxBodyBytes > 0 && bytesIn > maxBodyBytes) {
                    requestLog.events().requestRejected(info, "body_too_large");
                    failNow(413, "Request body too large (limit " + maxBodyBytes + " bytes)");
                    return;
                }
                requestLog.events().requestBytesIn(info, n);
                stream().sendData(readBuffer, false);
            }
        } catch (MalformedBodyException e) {
            // A bad chunk later in the body: the agent gets a RESET, never an end of stream; the caller
            // a 400 if no response has started, else a broken response.
            requestLog.events().requestRejected(info, "malformed_body");
            failNow(400, e.getMessage());
        } catch (IOException e) {
            callerGone("request body: " + e.getMessage());
        }
    }

    /** @return true once the prefetched bytes (if any) are all sent; false if waiting for credit */
    private boolean sendPrefetched() {
        if (prefetched == null) {
            return true;
        }
        while (prefetched.hasRemaining()) {
            int room = agentRoom();
            if (room == 0) {
                requestChannel.suspendReads();
                return false;
            }
            ByteBuffer part = take(prefetched, room);
            bytesIn += part.remaining();
            requestLog.events().requestBytesIn(info, part.remaining());
            stream().sendData(part, false);
        }
        prefetched = null;
        if (prefetchEof) {
            requestEnded = true;
            stream().sendData(EMPTY, true);
            return false;
        }
        return true;
    }

    @Override
    protected void replied(ResponseHead h, boolean endStream) {
        status = h.status();
        exchange.setStatusCode(status);
        if (!h.reason().isEmpty()) {
            exchange.setReasonPhrase(h.reason());
        }
        HeaderMap out = exchange.getResponseHeaders();
        for (Header field : h.headers().withoutHopByHop().fields()) {
            out.add(HttpString.tryFromString(field.name()), field.value());
        }
        if (endStream) {
            responseEnded = true;
            finish();
            return;
        }
        responseChannel = exchange.getResponseChannel();
        responseChannel.getWriteSetter().set(ch -> pumpResponse());
        pumpResponse();
    }

    @Override
    protected void data(ByteBuffer data, boolean endStream) {
        if (data.hasRemaining()) {
            pending.add(data);
        }
        responseEnded |= endStream;
        pumpResponse();
    }

    /** Writes what the caller's socket takes now; credits the agent for what was written. */
    private void pumpResponse() {
        if (phase() != Phase.REPLIED) {
            return;
        }
        int took = 0;
        try {
            while (!pending.isEmpty()) {
                ByteBuffer b = pending.peek();
                int n = responseChannel.write(b);
                bytesOut += n;
                requestLog.events().requestBytesOut(info, n);
                took += n;
                if (b.hasRemaining()) {
                    break;
                }
                pending.poll();
            }
        } catch (IOException e) {
            callerGone("response write: " + e.getMessage());
            return;
        }
        credit(took, responseEnded);
        if (!pending.isEmpty()) {
            responseChannel.resumeWrites();
        } else if (responseEnded) {
            finish();
        } else {
            responseChannel.suspendWrites();
        }
    }

    /** The whole response is handed to the caller's socket: flush and end. */
    private void finish() {
        // The agent may answer before reading the whole body: then stop the upload, drop the connection after.
        boolean uploading = hasBody && !requestEnded;
        end(uploading ? "response complete" : null);
        if (uploading) {
            exchange.setPersistent(false);
        }
        if (responseChannel == null) {
            exchange.endExchange();
            return;
        }
        try {
            responseChannel.shutdownWrites();
            if (responseChannel.flush()) {
                exchange.endExchange();
                return;
            }
        } catch (IOException e) {
            drop("response flush: " + e.getMessage()); // already DONE: callerGone() would do nothing
            return;
        }
        responseChannel.getWriteSetter().set(ChannelListeners.flushingChannelListener(
                ch -> exchange.endExchange(), (ch, e) -> IoUtils.safeClose(exchange.getConnection())));
        responseChannel.resumeWrites();
    }

    @Override
    protected void reset(ErrorCode code, String reason) {
        if (phase() == Phase.REPLIED) {
            breakResponse("agent reset the stream after the response started: " + code + " " + reason);
            return;
        }
        if (code == ErrorCode.INTERNAL_ERROR && "tunnel connection lost".equals(reason)) {
            failNow(502, "Tunnel connection lost before the response was complete");
        } else {
            failNow(502, "Tunnel stream failed: " + code + (reason.isEmpty() ? "" : " " + reason));
        }
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
        if (hasBody && !requestEnded) {
            if (requestChannel != null) {
                requestChannel.suspendReads();
            }
            exchange.setPersistent(false);
        }
        status = code;
        PlainText.send(exchange, code, reason);
    }

    /** The response started but cannot complete: the caller must see a broken response. */
    private void breakResponse(String why) {
        log.info("req {} broken mid-response: {}", requestId(), why);
        end(why);
        pending.clear();
        IoUtils.safeClose(exchange.getConnection());
        logCompletion();
    }

    /** The caller went away: cancel the stream so the agent aborts the local request. */
    private void callerGone(String why) {
        if (phase() == Phase.DONE) {
            return;
        }
        end("caller went away");
        pending.clear();
        status = status == 0 ? 499 : status;
        drop(why);
    }

    /** The caller's connection is unusable: close it and log the request. */
    private void drop(String why) {
        log.debug("req {} caller gone: {}", requestId(), why);
        IoUtils.safeClose(exchange.getConnection());
        logCompletion();
    }

    private void logCompletion() {
        if (!logged) {
            logged = true;
            requestLog.completed(this, status == 0 ? exchange.getStatusCode() : status, bytesIn, bytesOut,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        }
    }

    String tokenId() {
        return tunnel().tokenId();
    }

    io.wstunnel.srv.admin.RequestInfo info() {
        return info;
    }
}
