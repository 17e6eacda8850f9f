package io.wstunnel.srv.tunnel;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import java.nio.ByteBuffer;

/**
 * A caller's request as the tunnel layer sees it. Every method may be called from any thread;
 * implementations hand the event to their single owner thread and never block.
 */
public interface CallerStream {
    RequestHead head();

    /**
     * The kind of stream this caller opens (PROTOCOL.md §3.2). Connections that cannot carry it must
     * decline it in {@link AgentConnection#tryOpen} (see {@link AgentConnection#supports}).
     */
    default io.wstunnel.protocol.StreamKind kind() {
        return io.wstunnel.protocol.StreamKind.HTTP;
    }

    /** False when the request has no body: the OPEN frame then carries END_STREAM. */
    boolean hasBody();

    /** False once the caller has gone or been answered: such a request must not be opened. */
    boolean isActive();

    /** Short id for logs. */
    String requestId();

    /** The request now has a stream on an agent; its OPEN frame has been queued on the socket. */
    void onOpened(AgentStream stream);

    void onReply(ResponseHead head, boolean endStream);

    /** Response body bytes; the buffer is owned by the callee from now on. */
    void onData(ByteBuffer data, boolean endStream);

    /** The request's send window grew, or the agent socket has room again. */
    void onWritable();

    /**
     * The stream ended abnormally.
     *
     * @param notProcessed true when the agent certainly did not process the request (REFUSED_STREAM,
     *                     above a GOAWAY's last id, or the OPEN frame never left this server), so it
     *                     may be sent again if none of its body was consumed
     */
    void onReset(ErrorCode code, String reason, boolean notProcessed);

    /** The request cannot be served; answer the caller with this status and plain-text reason. */
    void fail(int status, String reason);
}
