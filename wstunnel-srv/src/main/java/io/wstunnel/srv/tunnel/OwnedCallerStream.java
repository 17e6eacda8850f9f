package io.wstunnel.srv.tunnel;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;

/**
 * A {@link CallerStream} whose state has one owner thread: every event from the tunnel is posted to
 * that thread, in arrival order, and handled there by the abstract methods below, which therefore
 * need no locking and must not block.
 */
public abstract class OwnedCallerStream implements CallerStream {
    private final Executor owner;
    private final RequestHead head;
    private final String requestId;
    private volatile boolean active = true;

    protected OwnedCallerStream(Executor owner, RequestHead head, String requestId) {
        this.owner = owner;
        this.head = head;
        this.requestId = requestId;
    }

    @Override
    public final RequestHead head() {
        return head;
    }

    @Override
    public final String requestId() {
        return requestId;
    }

    @Override
    public final boolean isActive() {
        return active;
    }

    /** Owner thread: the caller no longer wants the stream (a queued one is skipped by routing). */
    protected final void deactivate() {
        active = false;
    }

    @Override
    public final void onOpened(AgentStream s) {
        owner.execute(() -> opened(s));
    }

    @Override
    public final void onReply(ResponseHead head, boolean endStream) {
        owner.execute(() -> replied(head, endStream));
    }

    @Override
    public final void onData(ByteBuffer data, boolean endStream) {
        owner.execute(() -> data(data, endStream));
    }

    @Override
    public final void onWritable() {
        owner.execute(this::writable);
    }

    @Override
    public final void onReset(ErrorCode code, String reason, boolean notProcessed) {
        owner.execute(() -> reset(code, reason, notProcessed));
    }

    @Override
    public final void fail(int status, String reason) {
        owner.execute(() -> failed(status, reason));
    }

    /** Owner thread: the stream exists on an agent (its OPEN is queued). */
    protected abstract void opened(AgentStream s);

    /** Owner thread: the agent's response head. */
    protected abstract void replied(ResponseHead head, boolean endStream);

    /** Owner thread: response bytes, within the window this side granted. */
    protected abstract void data(ByteBuffer data, boolean endStream);

    /** Owner thread: more credit toward the agent, or room on its socket. */
    protected abstract void writable();

    /** Owner thread: the stream was reset (see {@link CallerStream#onReset}). */
    protected abstract void reset(ErrorCode code, String reason, boolean notProcessed);

    /** Owner thread: the request cannot be served. */
    protected abstract void failed(int status, String reason);
}
