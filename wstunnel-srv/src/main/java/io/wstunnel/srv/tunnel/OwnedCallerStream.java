package io.wstunnel.srv.tunnel;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;

/**
 * A {@link CallerStream} whose state has one owner thread: every event from the tunnel is posted to
 * that thread, in arrival order, and handled there, so nothing here needs a lock and nothing may block.
 *
 * <p>The routing lifecycle is the same for every caller bridge, so its phase lives and changes only
 * here: QUEUED (offered to the tunnel) → OPENED (a stream on an agent; back to QUEUED when the agent did
 * not process it and {@link #routeAgain} agrees) → REPLIED (the agent's REPLY arrived; the timeout no
 * longer runs) → DONE, from any phase, through {@link #end}. Subclasses serve the caller's side in the
 * hooks at the bottom, each called only in the phases it names.
 */
public abstract class OwnedCallerStream implements CallerStream {
    /** Where the request stands (see above). */
    protected enum Phase { QUEUED, OPENED, REPLIED, DONE }

    private final XnioIoThread owner;
    private final Tunnel tunnel;
    private final RequestHead head;
    private final String requestId;
    private final long timeoutMillis;
    /** Response credit goes back to the agent in batches of at least this (half the receive window). */
    private final int ackThreshold;
    /** False exactly when DONE; read by the tunnel on any thread. */
    private volatile boolean active = true;

    private Phase phase = Phase.QUEUED;
    /** Non-null only while OPENED or REPLIED. */
    private AgentStream stream;
    private XnioExecutor.Key timeout;
    /** Response bytes the caller's socket took that the agent has not been credited for yet. */
    private int unacked;
    /** A waiter for the attached stream's socket is registered and has not run yet: register no other. */
    private boolean awaitingSocket;

    protected OwnedCallerStream(XnioIoThread owner, Tunnel tunnel, RequestHead head, String requestId,
                                long timeoutMillis, int receiveWindow) {
        this.owner = owner;
        this.tunnel = tunnel;
        this.head = head;
        this.requestId = requestId;
        this.timeoutMillis = timeoutMillis;
        this.ackThreshold = Math.max(1, receiveWindow / 2);
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

    @Override
    public final void onOpened(AgentStream s) {
        owner.execute(() -> attach(s));
    }

    @Override
    public final void onReply(ResponseHead head, boolean endStream) {
        owner.execute(() -> reply(head, endStream));
    }

    @Override
    public final void onData(ByteBuffer data, boolean endStream) {
        owner.execute(() -> {
            if (phase == Phase.REPLIED) {
                data(data, endStream);
            }
        });
    }

    @Override
    public final void onWritable() {
        owner.execute(this::writable);
    }

    @Override
    public final void onReset(ErrorCode code, String reason, boolean notProcessed) {
        owner.execute(() -> agentReset(code, reason, notProcessed));
    }

    @Override
    public final void fail(int status, String reason) {
        owner.execute(() -> failed(status, reason));
    }

    protected final XnioIoThread owner() {
        return owner;
    }

    protected final Tunnel tunnel() {
        return tunnel;
    }

    protected final long timeoutMillis() {
        return timeoutMillis;
    }

    /** Owner thread. */
    protected final Phase phase() {
        return phase;
    }

    /** Owner thread: the agent's side of the stream, or null when not OPENED or REPLIED. */
    protected final AgentStream stream() {
        return stream;
    }

    // ------------------------------------------------------------------ lifecycle (owner thread)

    /** Starts the timeout: {@link #timedOut} unless the agent's REPLY comes first. */
    protected final void startTimeout() {
        timeout = owner.executeAfter(this::expire, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Offers the QUEUED request to the tunnel; {@link #queueFull} if its queue turns it away, {@link #failed}
     * with the {@link NoAgent} answer if its agents are gone, with 404 if the token was just forgotten.
     */
    protected final void submit() {
        Tunnel.Admission a = tunnel.submit(this);
        if (a == Tunnel.Admission.QUEUE_FULL) {
            queueFull();
        } else if (a == Tunnel.Admission.NO_AGENT) {
            failed(NoAgent.STATUS, tunnel.noAgentText());
        } else if (a == Tunnel.Admission.FORGOTTEN) {
            failed(404, TokenRegistry.UNKNOWN_TOKEN_TEXT);
        }
    }

    private void attach(AgentStream s) {
        if (phase != Phase.QUEUED) {
            s.reset(ErrorCode.CANCEL, unwantedReason());
            return;
        }
        stream = s;
        phase = Phase.OPENED;
        awaitingSocket = false; // a waiter on an earlier stream's socket may never run
        opened();
    }

    private void reply(ResponseHead h, boolean endStream) {
        if (phase != Phase.OPENED) {
            return;
        }
        cancelTimeout();
        phase = Phase.REPLIED;
        replied(h, endStream);
    }

    private void agentReset(ErrorCode code, String reason, boolean notProcessed) {
        if (phase == Phase.DONE || phase == Phase.QUEUED) {
            return;
        }
        stream = null;
        if (phase == Phase.OPENED && notProcessed && routeAgain(reason)) {
            phase = Phase.QUEUED;
            submit();
            return;
        }
        reset(code, reason);
    }

    private void expire() {
        timeout = null;
        if (phase == Phase.QUEUED || phase == Phase.OPENED) {
            timedOut();
        }
    }

    /**
     * The request is over (DONE): withdrawn if still queued, the timeout cancelled, and the stream, if
     * attached, RESET (CANCEL) with {@code resetReason}, or only let go when that is null (it has ended).
     */
    protected final void end(String resetReason) {
        if (phase == Phase.QUEUED) {
            tunnel.withdraw(this);
        }
        phase = Phase.DONE;
        active = false;
        cancelTimeout();
        if (stream != null) {
            if (resetReason != null) {
                stream.reset(ErrorCode.CANCEL, resetReason);
            }
            stream = null;
        }
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.remove();
            timeout = null;
        }
    }

    // ------------------------------------------------------------------ flow control (owner thread)

    /**
     * Request bytes the attached stream takes in one DATA frame now. 0 while its window is spent or the
     * agent socket is over its cap: {@link #onWritable} follows when either changes.
     */
    protected final int agentRoom() {
        int credit = stream.sendCredit();
        if (credit == 0) {
            return 0;
        }
        if (!stream.socketWritable()) {
            if (!awaitingSocket) {
                awaitingSocket = true;
                AgentStream waitedOn = stream;
                stream.whenSocketWritable(() -> owner.execute(() -> socketWritable(waitedOn)));
            }
            return 0;
        }
        return Math.min(credit, stream.maxFramePayload());
    }

    private void socketWritable(AgentStream waitedOn) {
        if (stream == waitedOn) {
            awaitingSocket = false;
        }
        writable();
    }

    /** The next {@code max} bytes of {@code b} (all, if fewer) as a slice; {@code b} moves past them. */
    public static ByteBuffer take(ByteBuffer b, int max) {
        ByteBuffer part = b.slice();
        part.limit(Math.min(b.remaining(), max));
        b.position(b.position() + part.limit());
        return part;
    }

    /**
     * The caller's socket took {@code n} more response bytes: they go back to the agent as credit once
     * half the receive window is owed, unless the agent has ended its side (it needs no more then).
     */
    protected final void credit(int n, boolean agentEnded) {
        unacked += n;
        if (!agentEnded && unacked >= ackThreshold && stream != null) {
            stream.consumed(unacked);
            unacked = 0;
        }
    }

    // ------------------------------------------------------------------ hooks (owner thread)

    /** The RESET reason for a stream the agent opened after the caller stopped wanting it. */
    protected String unwantedReason() {
        return "request no longer wanted";
    }

    /** QUEUED: the tunnel's queue is full. */
    protected abstract void queueFull();

    /** QUEUED or OPENED: no REPLY within the timeout. */
    protected abstract void timedOut();

    /** Now OPENED: the stream exists on an agent (its OPEN is queued). */
    protected void opened() {
    }

    /** OPENED: the agent certainly did not process the request; true to route it again. */
    protected abstract boolean routeAgain(String reason);

    /** Now REPLIED: the agent's response head. */
    protected abstract void replied(ResponseHead head, boolean endStream);

    /** REPLIED: response bytes, within the window this side granted. */
    protected abstract void data(ByteBuffer data, boolean endStream);

    /** Any phase: more credit toward the agent, or room on its socket. */
    protected abstract void writable();

    /** OPENED (not routed again) or REPLIED: the agent reset the stream; it is already let go. */
    protected abstract void reset(ErrorCode code, String reason);

    /** Any phase: the request cannot be served. */
    protected abstract void failed(int status, String reason);
}
