package io.wstunnel.srv.http;

import io.undertow.server.HttpServerExchange;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.srv.admin.RequestInfo;
import io.wstunnel.srv.admin.ServerEvents;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;

/**
 * Writes the agent's response to the caller of its {@link CallerRequest}: the head into the exchange,
 * then the body buffers as the caller's socket takes them, crediting the agent for what was written.
 * Used only on the request's owner thread, so nothing here needs a lock.
 *
 * <p>Memory is bounded by the server's receive window: the agent sends no more body than it was
 * credited for, and credit follows only what the socket took.
 */
final class ResponseWriter {
    private final CallerRequest request;
    private final HttpServerExchange exchange;
    private final ServerEvents events;
    private final RequestInfo info;

    /** Null until a head with a body arrives. */
    private StreamSinkChannel channel;
    /** Body buffers from the agent not yet fully written, in order. */
    private final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();
    /** The agent ended its side: once {@link #pending} is written, the response is complete. */
    private boolean agentEnded;
    private long bytesOut;

    ResponseWriter(CallerRequest request, HttpServerExchange exchange, ServerEvents events, RequestInfo info) {
        this.request = request;
        this.exchange = exchange;
        this.events = events;
        this.info = info;
    }

    /** Body bytes the caller's socket took so far. */
    long bytesOut() {
        return bytesOut;
    }

    /** The agent's head, without hop-by-hop fields; a response without body is complete at once. */
    void head(ResponseHead h, boolean endStream) {
        ResponseHeads.apply(exchange, h);
        if (endStream) {
            agentEnded = true;
            request.finish();
            return;
        }
        channel = exchange.getResponseChannel();
        channel.getWriteSetter().set(ch -> pump());
        pump();
    }

    /** Body bytes from the agent, kept (not copied) until the caller's socket takes them. */
    void data(ByteBuffer data, boolean endStream) {
        if (data.hasRemaining()) {
            pending.add(data);
        }
        agentEnded |= endStream;
        pump();
    }

    /** Writes what the caller's socket takes now; credits the agent for what was written. */
    void pump() {
        if (!request.replying()) {
            return;
        }
        int took = 0;
        try {
            while (!pending.isEmpty()) {
                ByteBuffer b = pending.peek();
                int n = channel.write(b);
                bytesOut += n;
                events.requestBytesOut(info, n);
                took += n;
                if (b.hasRemaining()) {
                    break;
                }
                pending.poll();
            }
        } catch (IOException e) {
            request.callerGone("response write: " + e.getMessage());
            return;
        }
        request.credited(took, agentEnded);
        if (!pending.isEmpty()) {
            channel.resumeWrites();
        } else if (agentEnded) {
            request.finish();
        } else {
            channel.suspendWrites();
        }
    }

    /** The request is over (DONE) with its whole response written: flush, then end the exchange. */
    void close() {
        if (channel == null) {
            exchange.endExchange();
            return;
        }
        try {
            channel.shutdownWrites();
            if (channel.flush()) {
                exchange.endExchange();
                return;
            }
        } catch (IOException e) {
            request.drop("response flush: " + e.getMessage()); // already DONE: callerGone() would do nothing
            return;
        }
        channel.getWriteSetter().set(ChannelListeners.flushingChannelListener(
                ch -> exchange.endExchange(), (ch, e) -> IoUtils.safeClose(exchange.getConnection())));
        channel.resumeWrites();
    }

    /** The response will not complete: let go of what was not written. */
    void discard() {
        pending.clear();
    }
}
