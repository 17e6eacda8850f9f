package io.wstunnel.srv.http;

import io.undertow.server.HttpServerExchange;
import io.wstunnel.srv.admin.RequestInfo;
import io.wstunnel.srv.admin.ServerEvents;
import io.wstunnel.srv.tunnel.OwnedCallerStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.xnio.channels.StreamSourceChannel;

/**
 * Moves one caller's request body to the agent stream of its {@link CallerRequest}, never more than
 * the stream takes now ({@link CallerRequest#room()}): reads are suspended while it takes nothing
 * and the request's next writable event pumps again. Used only on the request's owner thread, so
 * nothing here needs a lock.
 *
 * <p>Memory is bounded: one read buffer of at most 64 KiB, sent as a view (no copy), plus for a
 * chunked body one copy of its first read (see {@link #prefetch}).
 */
final class RequestBodyPump {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final CallerRequest request;
    private final HttpServerExchange exchange;
    private final ServerEvents events;
    private final RequestInfo info;
    /** Request body limit (0 = none): beyond it, 413 or a broken stream and RESET. */
    private final long maxBodyBytes;

    /** Null until the body is first read; its read listener then always leads back here. */
    private StreamSourceChannel channel;
    private ByteBuffer readBuffer;
    /** The caller's body ended and the agent stream was sent its end. */
    private boolean ended;
    private long bytesIn;
    /** Chunked bodies: the first bytes, read before the request is routed (see {@link #prefetch}). */
    private ByteBuffer prefetched;
    private boolean prefetchEof;

    RequestBodyPump(CallerRequest request, HttpServerExchange exchange, ServerEvents events, RequestInfo info,
                    long maxBodyBytes) {
        this.request = request;
        this.exchange = exchange;
        this.events = events;
        this.info = info;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** True once the whole body was read and its end sent to the agent. */
    boolean ended() {
        return ended;
    }

    /** Body bytes sent to the agent so far. */
    long bytesIn() {
        return bytesIn;
    }

    /**
     * A chunked body is only parsed as it is read: read its first bytes before anything is sent to the
     * agent, so that a request with a malformed or absurd first chunk header gets a 400 (see
     * {@link StrictChunkedConduit}) and is never forwarded. Submits the request once they are read.
     */
    void prefetch() {
        if (!request.queued()) {
            return;
        }
        if (channel == null) {
            channel = exchange.getRequestChannel();
            readBuffer = ByteBuffer.allocate(64 * 1024);
            channel.getReadSetter().set(ch -> {
                if (prefetched == null && !prefetchEof) {
                    prefetch();
                } else {
                    pump();
                }
            });
        }
        int n;
        try {
            readBuffer.clear();
            n = channel.read(readBuffer);
        } catch (MalformedBodyException e) {
            request.reject("malformed_body", 400, e.getMessage());
            return;
        } catch (IOException e) {
            request.callerGone("request body: " + e.getMessage());
            return;
        }
        if (n == 0) {
            channel.resumeReads();
            return;
        }
        channel.suspendReads();
        if (n < 0) {
            prefetchEof = true;
            prefetched = ByteBuffer.allocate(0);
        } else {
            readBuffer.flip();
            prefetched = ByteBuffer.allocate(n).put(readBuffer).flip();
            if (maxBodyBytes > 0 && n > maxBodyBytes) {
                request.reject("body_too_large", 413, "Request body too large (limit " + maxBodyBytes + " bytes)");
                return;
            }
        }
        request.route();
    }

    /** The request has a new agent stream: pump the body into it, or send the end it already had. */
    void opened() {
        if (ended) {
            // Routed again after its (empty) body ended on a stream the agent did not process: this
            // stream needs its end too.
            request.agent().sendData(EMPTY, true);
            return;
        }
        if (channel != null) {
            channel.getReadSetter().set(ch -> pump());
        } else {
            channel = exchange.getRequestChannel();
            readBuffer = ByteBuffer.allocate(Math.min(64 * 1024, request.agent().maxFramePayload()));
            channel.getReadSetter().set(ch -> pump());
        }
        pump();
    }

    /** Stops reading the body (the request is over before it was all read). */
    void suspend() {
        if (channel != null) {
            channel.suspendReads();
        }
    }

    /** Moves request body to the agent while it has credit; suspends reads otherwise. */
    void pump() {
        if (ended || channel == null) {
            return;
        }
        if (request.agent() == null) {
            if (request.queued()) {
                // Queued again with reads armed: no read listener may fire until opened() pumps again.
                channel.suspendReads();
            }
            return;
        }
        try {
            if (!sendPrefetched()) {
                return;
            }
            while (true) {
                int room = request.room();
                if (room == 0) {
                    channel.suspendReads(); // onWritable() resumes
                    return;
                }
                readBuffer.clear().limit(Math.min(room, readBuffer.capacity()));
                int n = channel.read(readBuffer);
                if (n < 0) {
                    long declared = exchange.getRequestContentLength();
                    if (declared >= 0 && bytesIn < declared) {
                        // The caller went away mid-body: never let a truncated body look complete.
                        request.callerGone("request body ended after " + bytesIn + " of " + declared + " bytes");
                        return;
                    }
                    ended = true;
                    channel.suspendReads();
                    request.agent().sendData(EMPTY, true);
                    return;
                }
                if (n == 0) {
                    channel.resumeReads();
                    return;
                }
                readBuffer.flip();
                bytesIn += n;
                if (maxBodyBytes > 0 && bytesIn > maxBodyBytes) {
                    request.reject("body_too_large", 413, "Request body too large (limit " + maxBodyBytes + " bytes)");
                    return;
                }
                events.requestBytesIn(info, n);
                request.agent().sendData(readBuffer, false);
            }
        } catch (MalformedBodyException e) {
            // A bad chunk later in the body: the agent gets a RESET, never an end of stream; the caller
            // a 400 if no response has started, else a broken response.
            request.reject("malformed_body", 400, e.getMessage());
        } catch (IOException e) {
            request.callerGone("request body: " + e.getMessage());
        }
    }

    /** @return true once the prefetched bytes (if any) are all sent; false if waiting for credit */
    private boolean sendPrefetched() {
        if (prefetched == null) {
            return true;
        }
        while (prefetched.hasRemaining()) {
            int room = request.room();
            if (room == 0) {
                channel.suspendReads();
                return false;
            }
            ByteBuffer part = OwnedCallerStream.take(prefetched, room);
            bytesIn += part.remaining();
            events.requestBytesIn(info, part.remaining());
            request.agent().sendData(part, false);
        }
        prefetched = null;
        if (prefetchEof) {
            ended = true;
            request.agent().sendData(EMPTY, true);
            return false;
        }
        return true;
    }
}
