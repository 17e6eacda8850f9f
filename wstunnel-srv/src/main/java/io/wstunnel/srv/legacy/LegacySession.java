package io.wstunnel.srv.legacy;

import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.protocol.legacy.LegacyWriter;
import io.wstunnel.srv.tunnel.AgentConnection;
import io.wstunnel.srv.tunnel.CallerStream;
import io.wstunnel.srv.tunnel.Tunnel;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.XnioIoThread;

/**
 * One agent socket speaking the legacy (Go wstunnel) framing: one binary WebSocket message per
 * request and per response, each = 4 hex digits of id + one HTTP/1.1 message (LEGACY.md §2).
 * Requests leave one at a time through {@link LegacySender}; responses stream back through
 * {@link LegacyReceiver}. Bodies over 100 MiB are refused with 413 (known Content-Length) or cut
 * with 413 (chunked), since the Go agent refuses larger messages.
 *
 * <p>This class owns the socket's state (OPEN → DRAINING → CLOSED), admission of requests, the
 * keep-alive timer and what a lost socket means to the callers.
 *
 * <p>Threads: socket I/O (sink writes, receive, timers) runs on the channel's IO thread, which alone
 * touches the sender's and receiver's fields. The state, the request table ({@link LegacyRequests})
 * and the streams' message buffers are guarded by this object's monitor, the only lock of a session
 * (the sender, receiver, table and streams have none of their own). Callers are notified with no
 * monitor held.
 */
public final class LegacySession implements AgentConnection {
    private static final Logger log = LoggerFactory.getLogger(LegacySession.class);

    static final int MAX_DATA = 64 * 1024;
    /** Request body bytes buffered here for the socket, per uploading request. */
    static final int SEND_BUFFER = 256 * 1024;
    static final int MAX_IN_FLIGHT = 512;
    static final String TOO_LARGE = "Request body too large for a legacy wstunnel agent (limit 100 MiB per message)";
    static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    enum State { OPEN, DRAINING, CLOSED }

    private final WebSocketChannel channel;
    private final XnioIoThread io;
    private final Tunnel tunnel;
    private final Duration wsTimeout;
    private final String remote;
    private final String clientVersion;
    private final Runnable onClosed;

    // guarded by this
    private State state = State.OPEN;
    private final LegacyRequests requests = new LegacyRequests();

    // IO thread
    private final LegacySender sender;
    private final LegacyReceiver receiver;

    /**
     * @param receiveWindow response bytes a caller may leave unconsumed before this socket stops
     *                      reading (use the v2 initial window: the caller bridge acknowledges by
     *                      half-windows)
     */
    public LegacySession(WebSocketChannel channel, Tunnel tunnel, Duration wsTimeout, Duration uploadStall,
                         int receiveWindow, String remote, String clientVersion, Runnable onClosed) {
        this.channel = channel;
        this.io = channel.getIoThread();
        this.tunnel = tunnel;
        this.wsTimeout = wsTimeout;
        this.remote = remote;
        this.clientVersion = clientVersion;
        this.onClosed = onClosed;
        this.sender = new LegacySender(this, requests, channel, uploadStall.toNanos());
        this.receiver = new LegacyReceiver(this, requests, receiveWindow);
    }

    /** Starts receiving and the keep-alive timer. Call once, after the upgrade and after joining the tunnel. */
    public void start() {
        channel.addCloseTask(ch -> closed("socket closed"));
        channel.getReceiveSetter().set(receiver);
        channel.resumeReceives();
        scheduleTick();
        tunnel.drain();
    }

    String tokenId() {
        return tunnel.tokenId();
    }

    // ------------------------------------------------------------------ AgentConnection

    @Override
    public boolean tryOpen(CallerStream caller) {
        if (caller.kind() != StreamKind.HTTP) {
            return false; // legacy framing carries HTTP exchanges only: leave WebSocket/TCP streams to v2 agents
        }
        RequestHead head = caller.head();
        LegacyWriter.BodyFraming framing = LegacyWriter.BodyFraming.NONE;
        long length = 0;
        if (caller.hasBody()) {
            length = LegacyStream.contentLength(head.headers());
            framing = length > 0 ? LegacyWriter.BodyFraming.LENGTH : LegacyWriter.BodyFraming.CHUNKED;
        }
        boolean tooLarge = framing == LegacyWriter.BodyFraming.LENGTH
                && length > LegacyWriter.MAX_MESSAGE_SIZE - 64 * 1024;
        if (tooLarge && otherAgentMayTakeIt()) {
            return false;
        }
        LegacyStream s = null;
        synchronized (this) {
            if (state != State.OPEN || requests.size() >= MAX_IN_FLIGHT || !caller.isActive()) {
                return false;
            }
            if (!tooLarge) {
                int id = requests.allocateId(tunnel);
                if (id < 0) {
                    return false;
                }
                s = new LegacyStream(this, id, caller, framing, length);
                ByteBuffer h = LegacyWriter.requestHead(id, head, framing, length);
                if (framing == LegacyWriter.BodyFraming.LENGTH && h.remaining() + length > LegacyWriter.MAX_MESSAGE_SIZE) {
                    tooLarge = true;
                } else {
                    s.queueHead(h);
                    requests.add(s);
                }
            }
        }
        if (tooLarge) {
            log.info("tunnel {} legacy agent {}: request {} refused, body over 100 MiB", tunnel.tokenId(), remote, caller.requestId());
            caller.fail(413, TOO_LARGE);
            return true;
        }
        if (log.isDebugEnabled()) {
            log.debug("tunnel {} legacy agent {}: id {} for {}", tunnel.tokenId(), remote, Integer.toHexString(s.id()), caller.requestId());
        }
        caller.onOpened(s);
        io.execute(sender::pump);
        return true;
    }

    /** True if another agent of the token does not have the legacy 100 MiB message limit. */
    private boolean otherAgentMayTakeIt() {
        for (AgentConnection a : tunnel.agents()) {
            if (!(a instanceof LegacySession)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public synchronized int load() {
        return requests.load();
    }

    @Override
    public synchronized boolean accepting() {
        return state == State.OPEN && requests.size() < MAX_IN_FLIGHT;
    }

    @Override
    public String remoteAddress() {
        return remote;
    }

    @Override
    public String clientVersion() {
        return clientVersion;
    }

    @Override
    public long lastSeenNanos() {
        return receiver.lastAliveNanos();
    }

    @Override
    public void goAway(String reason) {
        boolean idle;
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.DRAINING;
            idle = requests.size() == 0;
        }
        if (idle) {
            closeSocket(reason);
        } else {
            io.executeAfter(() -> closeSocket(reason), 30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void abort(String reason) {
        drop(reason);
    }

    /** Requests on this socket that are not finished (waiting, sending or awaiting a response). */
    public synchronized int openStreams() {
        return requests.size();
    }

    // ------------------------------------------------------------------ request side (any thread)

    int sendCredit(LegacyStream s) {
        synchronized (this) {
            if (s.phase != LegacyStream.Phase.SENDING || s.bodyEnded || s.closed || state == State.CLOSED) {
                return 0;
            }
            return s.bufferRoom();
        }
    }

    void sendData(LegacyStream s, ByteBuffer data, boolean end) {
        boolean tooBig = false;
        synchronized (this) {
            if (s.closed || s.bodyEnded || s.phase != LegacyStream.Phase.SENDING) {
                return;
            }
            if (!s.queueBody(data, end)) {
                tooBig = true;
                requests.abortUpload(s);
                forget(s);
            }
        }
        if (tooBig) {
            log.info("tunnel {} legacy agent {}: chunked request body of {} over 100 MiB, cut", tunnel.tokenId(), remote,
                    s.caller.requestId());
            s.caller.fail(413, TOO_LARGE);
        }
        io.execute(sender::pump);
    }

    void consumed(LegacyStream s, int bytes) {
        if (bytes <= 0) {
            return;
        }
        io.execute(() -> receiver.consumed(s, bytes));
    }

    void resetByCaller(LegacyStream s, String reason) {
        synchronized (this) {
            if (s.closed) {
                return;
            }
            if (!s.bodyEnded) {
                requests.abortUpload(s); // waiting: never sent; uploading: the message is cut after its head
            }
            forget(s);
        }
        if (log.isDebugEnabled()) {
            log.debug("tunnel {} legacy agent {}: id {} dropped by its caller: {}", tunnel.tokenId(), remote,
                    Integer.toHexString(s.id()), reason);
        }
        io.execute(() -> {
            receiver.dropped(s);
            sender.pump();
        });
        tunnel.drain();
    }

    // ------------------------------------------------------------------ for the sender and receiver

    /** Caller holds the monitor. The request is finished for this side; a drained socket closes. */
    void forget(LegacyStream s) {
        if (requests.forget(s) && state == State.DRAINING) {
            io.execute(() -> closeSocket("drained"));
        }
    }

    /** IO thread. @return the request that takes the free slot, or null */
    synchronized LegacyStream nextToSend() {
        return state == State.CLOSED ? null : requests.nextToSend();
    }

    /** IO thread. The response message of {@code s} ended (or could not be parsed). */
    void finish(LegacyStream s) {
        boolean cut = false;
        synchronized (this) {
            if (sender.current() == s && !s.bodyEnded) {
                requests.abortUpload(s); // answered before its upload ended: free the slot now
                cut = true;
            }
            requests.done(s);
            if (!s.closed) {
                forget(s);
            }
        }
        if (cut) {
            io.execute(sender::pump);
        }
        tunnel.drain();
    }

    // ------------------------------------------------------------------ keep-alive (IO thread)

    private void scheduleTick() {
        io.executeAfter(this::tick, 1, TimeUnit.SECONDS);
    }

    private void tick() {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
        }
        long now = System.nanoTime();
        long silentMs = TimeUnit.NANOSECONDS.toMillis(now - receiver.lastAliveNanos());
        if (silentMs > wsTimeout.toMillis()) {
            log.warn("tunnel {} legacy agent {}: no ping for {} ms, closing", tunnel.tokenId(), remote, silentMs);
            drop("no ping");
            return;
        }
        sender.cutStalledUpload(now);
        scheduleTick();
    }

    // ------------------------------------------------------------------ closing

    private void closeSocket(String reason) {
        log.info("tunnel {} legacy agent {}: closing ({})", tunnel.tokenId(), remote, reason);
        WebSockets.sendClose(ByteBuffer.allocate(0), channel, null); // legacy close frames carry no code
        io.executeAfter(() -> IoUtils.safeClose(channel), 5, TimeUnit.SECONDS);
    }

    /** Closes the socket at once, then as {@link #closed(String)}. */
    void drop(String why) {
        IoUtils.safeClose(channel);
        closed(why);
    }

    /** The socket is gone: requests in flight fail with 502; those still waiting for the slot are routed again. */
    void closed(String why) {
        List<LegacyStream> lost = new ArrayList<>();
        List<LegacyStream> unsent = new ArrayList<>();
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            requests.closeAll(unsent, lost);
        }
        log.info("tunnel {} legacy agent {} (version '{}') disconnected ({}), {} requests in flight, {} not sent",
                tunnel.tokenId(), remote, clientVersion, why, lost.size(), unsent.size());
        for (LegacyStream s : lost) {
            s.caller.onReset(ErrorCode.INTERNAL_ERROR, "tunnel connection lost", false);
        }
        for (LegacyStream s : unsent) {
            s.caller.onReset(ErrorCode.INTERNAL_ERROR, "tunnel connection lost", true);
        }
        tunnel.removeAgent(this);
        onClosed.run();
    }
}
