package io.wstunnel.srv.agent;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.FrameType;
import io.wstunnel.protocol.ProtocolException;
import io.wstunnel.protocol.ReceiveWindow;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.protocol.WindowBudget;
import io.wstunnel.srv.tunnel.AgentConnection;
import io.wstunnel.srv.tunnel.CallerStream;
import io.wstunnel.srv.tunnel.Tunnel;
import io.wstunnel.srv.ws.RawWebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent socket speaking wstunnel.v2. The session state machine, its {@link StreamTable} and
 * every stream's flow-control state are guarded by this object's monitor, and every state
 * transition is made here; frames arrive on the socket's IO thread and are decoded and dispatched by
 * its {@link V2Receiver}. Callers are only ever notified after the monitor is released. The socket
 * is our own {@link RawWebSocket}; frames leave through the {@link OutboundQueue}. Helpers that are
 * not guarded by the monitor ({@link OutboundQueue}, {@link FrameBudget}, {@link KeepAlive}) hold no
 * session state.
 */
public final class V2Session implements AgentConnection {
    private static final Logger log = LoggerFactory.getLogger(V2Session.class);

    enum State { AWAITING_HELLO, OPEN, DRAINING, CLOSED }

    /** The highest id this server opens a stream with (odd; the next one, MAX_STREAM_ID, is left unused). */
    static final int LAST_STREAM_ID = FrameCodec.MAX_STREAM_ID - 2;
    /** The first stream id of a new session: 1, except in tests that start near {@link #LAST_STREAM_ID}. */
    static volatile int firstStreamId = 1;

    private final RawWebSocket socket;
    private final Tunnel tunnel;
    private final Settings local;
    private final String remote;
    private final String clientVersion;
    private final Runnable onClosed;
    private final io.wstunnel.srv.limits.Limits limits;
    /** Receive-window growth shared by this socket's streams (PROTOCOL.md §3.6.1). */
    private final WindowBudget windowBudget;
    private final OutboundQueue outbound;
    /** {@link OutboundQueue#hardLimit}: an agent that lets its socket's queue reach it is not reading. */
    private final long hardLimit;
    private final FrameBudget frameBudget;
    private final KeepAlive keepAlive;

    // Guarded by this.
    private final StreamTable streams;
    private State state = State.AWAITING_HELLO;
    private Settings peer = Settings.DEFAULT;
    /** A tunnel drain is due once the socket is under its soft cap (a stream was refused for it). */
    private boolean drainWhenWritable;

    /** @param limits streams per agent, HELLO timeout and control-frame budget of this socket */
    public V2Session(RawWebSocket socket, Tunnel tunnel, Settings local, Duration wsTimeout, int maxQueuedBytes,
                     String remote, String clientVersion, Runnable onClosed, io.wstunnel.srv.limits.Limits limits) {
        this.limits = limits;
        this.windowBudget = new WindowBudget(limits.agentWindowBudget());
        this.frameBudget = new FrameBudget(limits.agentControlFramesPerSecond(), this::protocolFailure);
        this.socket = socket;
        this.tunnel = tunnel;
        this.local = local.withReplyBody(true); // we take REPLY+BODY (PROTOCOL.md §3.3)
        this.outbound = new OutboundQueue(socket, maxQueuedBytes, limits);
        this.hardLimit = OutboundQueue.hardLimit(maxQueuedBytes, limits, local.initialWindow());
        this.keepAlive = new KeepAlive(this, socket, wsTimeout);
        // Once the ids ran out, the socket closes with the last stream (closeWith only posts to the IO thread).
        this.streams = new StreamTable(firstStreamId, () -> closeWith(ErrorCode.NO_ERROR.closeCode(), "stream ids exhausted"));
        this.remote = remote;
        this.clientVersion = clientVersion;
        this.onClosed = onClosed;
    }

    /** Sends HELLO and starts receiving. Call once, after the upgrade. */
    public void start() {
        socket.allowPong(frameBudget::charge);
        socket.limitQueue(hardLimit, this::notReading);
        socket.start(new V2Receiver(this, local, frameBudget, keepAlive));
        outbound.send(FrameCodec.encode(new Frame.Hello(local)), null);
        keepAlive.start(); // a first round-trip time for window auto-tuning, before the keep-alive period
        socket.schedule(this::helloDeadline, limits.agentHelloTimeout().toMillis());
    }

    private void helloDeadline() {
        synchronized (this) {
            if (state != State.AWAITING_HELLO) {
                return;
            }
        }
        log.warn("tunnel {} agent {}: no HELLO within {} ms; closing the tunnel socket (1008)", tunnel.tokenId(), remote,
                limits.agentHelloTimeout().toMillis());
        closeWith(ErrorCode.POLICY_VIOLATION.closeCode(), "no HELLO within " + limits.agentHelloTimeout().toMillis() + " ms");
    }

    /** The socket's queue would pass {@link #hardLimit} (IO thread): the socket is being aborted. */
    private void notReading(long queuedBytes) {
        log.warn("tunnel {} agent {}: {} bytes queued for an agent socket that does not read (hard cap {}); aborting it",
                tunnel.tokenId(), remote, queuedBytes, hardLimit);
    }

    /** Streams this socket may carry at once: the agent's own limit and the server's, whichever is lower. */
    private int streamCap() {
        return Math.min(peer.maxConcurrentStreams(), limits.maxStreamsPerAgent());
    }

    // ------------------------------------------------------------------ AgentConnection

    @Override
    public boolean tryOpen(CallerStream caller) {
        V2Stream s;
        synchronized (this) {
            if (state != State.OPEN || streams.size() >= streamCap() || !caller.isActive()) {
                return false;
            }
            if (!outbound.openable()) {
                drainOnceWritable(); // the agent is far behind: the hard limit counts on new streams waiting
                return false;
            }
            int id = streams.nextId();
            boolean end = !caller.hasBody();
            ByteBuffer open = V2Stream.encodeOpen(id, caller, end, peer.maxHeadSize());
            if (open == null) {
                caller.fail(431, "Request header fields too large for the tunnel (limit "
                        + peer.maxHeadSize() + " bytes)");
                return true; // answered: the tunnel must not queue it
            }
            s = new V2Stream(this, outbound, id, caller, peer.initialWindow(),
                    new ReceiveWindow(local.initialWindow(), limits.maxStreamWindow(), windowBudget),
                    Math.min(peer.maxFramePayload(), OutboundQueue.MAX_DATA_PAYLOAD));
            boolean lastId = streams.add(s);
            if (end) {
                s.localEnded = true;
            }
            // Invariant: the caller learns of its stream before any reply can exist. onOpened only
            // posts to the caller's thread, so posting it first orders it before the agent's frames.
            caller.onOpened(s);
            outbound.send(open, () -> s.openWritten = true);
            if (lastId) {
                // Ids exhausted: this socket finishes its streams and closes; the agent redials.
                state = State.DRAINING;
                outbound.send(FrameCodec.encode(new Frame.GoAway(streams.lastAgentStreamId(), ErrorCode.NO_ERROR,
                        "stream ids exhausted")), null);
            }
        }
        if (log.isDebugEnabled()) {
            log.debug("tunnel {} agent {}: stream {} opened for {}", tunnel.tokenId(), remote, s.id(), caller.requestId());
        }
        return true;
    }

    /** Monitor held. The token's queued requests are offered again once the socket is under its soft cap. */
    private void drainOnceWritable() {
        if (drainWhenWritable) {
            return;
        }
        drainWhenWritable = true;
        // Posted: the waiter may run at once, here, where the tunnel's monitor is held.
        outbound.whenWritable(() -> socket.execute(() -> {
            synchronized (this) {
                drainWhenWritable = false;
            }
            tunnel.drain();
        }));
    }

    @Override
    public boolean supports(StreamKind kind) {
        return true; // HTTP, WEBSOCKET and TCP; an agent without support answers REFUSED_STREAM
    }

    @Override
    public synchronized int load() {
        return streams.size();
    }

    @Override
    public synchronized boolean accepting() {
        return state == State.OPEN && streams.size() < streamCap();
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
        return keepAlive.lastReceivedNanos();
    }

    @Override
    public void goAway(String reason) {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            if (state != State.DRAINING) {
                state = State.DRAINING;
                outbound.send(FrameCodec.encode(new Frame.GoAway(streams.lastAgentStreamId(), ErrorCode.GOING_AWAY, reason)), null);
            }
        }
        closeWith(ErrorCode.GOING_AWAY.closeCode(), reason);
    }

    /**
     * Closes the socket at once. The streams fail in {@link #closed}, which only the socket's close
     * listener runs: on the IO thread, after the connection is closed, when no OPEN can still be
     * written, so {@code openWritten} is final there and a request is never both written here and
     * routed again.
     */
    @Override
    public void abort(String reason) {
        socket.abort(reason);
    }

    /** The agent socket's peer (ip and port), or null. */
    public java.net.InetSocketAddress peerAddress() {
        return socket.peerAddress();
    }

    /** Streams currently open (for graceful shutdown). */
    public synchronized int openStreams() {
        return streams.size();
    }

    // ------------------------------------------------------------------ for streams and helpers

    /** Smoothed round-trip time of this socket (keep-alive pings), 0 while unknown. */
    long rttNanos() {
        return keepAlive.rttNanos();
    }

    String tokenId() {
        return tunnel.tokenId();
    }

    synchronized boolean isClosed() {
        return state == State.CLOSED;
    }

    /** The live stream {@code id}, or null. */
    synchronized V2Stream stream(int id) {
        return streams.get(id);
    }

    /** A stream closed: queued requests may use the slot. Monitor not held. */
    void slotFreed() {
        tunnel.drain();
    }

    /**
     * Called with the monitor held when a stream has ended both ways or been reset. Every stream
     * leaves through {@link StreamTable#remove} or {@link #closed}.
     */
    void forget(V2Stream s) {
        streams.remove(s.id());
    }

    // ------------------------------------------------------------------ agent frames (IO thread, from V2Receiver)

    synchronized void requireHello(FrameType type) {
        if (state == State.AWAITING_HELLO) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "first frame must be HELLO, got " + type);
        }
    }

    void onHello(Settings settings) {
        synchronized (this) {
            if (state != State.AWAITING_HELLO) {
                throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "second HELLO");
            }
            peer = settings;
            state = State.OPEN;
        }
        log.debug("tunnel {} agent {}: HELLO {}", tunnel.tokenId(), remote, settings);
        tunnel.drain();
    }

    /** The stream {@code id} is over (the agent reset it); null if it was gone already. */
    synchronized V2Stream remove(int id) {
        return streams.remove(id);
    }

    /**
     * Sends RESET for the live stream {@code id} and removes it; null, and nothing sent, if it is gone
     * already (its RESET or end was sent then).
     */
    synchronized V2Stream reset(int id, ErrorCode code, String reason) {
        if (streams.get(id) == null) {
            return null;
        }
        outbound.send(FrameCodec.encode(new Frame.Reset(id, code, reason)), null);
        return streams.remove(id);
    }

    /**
     * An agent OPEN, well-formed or not: its id must be even and above the agent's previous one
     * (connection PROTOCOL_ERROR otherwise, PROTOCOL.md §3.2), and counts as used; the stream is
     * answered with RESET {@code code}. The agent's ids never name a server stream, so none is looked up.
     */
    void agentOpened(int id, ErrorCode code, String reason) {
        synchronized (this) {
            streams.agentOpened(id);
            outbound.send(FrameCodec.encode(new Frame.Reset(id, code, reason)), null);
        }
        log.debug("tunnel {} agent {}: agent-opened stream {} reset: {} {}", tunnel.tokenId(), remote, id, code, reason);
    }

    void onGoAway(Frame.GoAway g) {
        List<V2Stream> unprocessed = new ArrayList<>();
        synchronized (this) {
            if (state == State.OPEN) {
                state = State.DRAINING;
            }
            for (V2Stream s : streams.all()) {
                if (s.id() > g.lastStreamId()) {
                    streams.remove(s.id());
                    unprocessed.add(s);
                }
            }
        }
        log.info("tunnel {} agent {}: GOAWAY {} {} ({} streams handed back)", tunnel.tokenId(), remote, g.code(),
                g.reason(), unprocessed.size());
        for (V2Stream s : unprocessed) {
            s.caller.onReset(ErrorCode.REFUSED_STREAM, "agent is going away", true);
        }
        tunnel.drain();
    }

    /** A connection-level protocol error (any thread): GOAWAY with its code, then the close code it maps to. */
    void protocolFailure(ProtocolException e) {
        log.warn("tunnel {} agent {}: protocol error {}: {}; closing the tunnel socket", tunnel.tokenId(), remote,
                e.code(), e.getMessage());
        synchronized (this) {
            if (state != State.CLOSED) {
                outbound.send(FrameCodec.encode(new Frame.GoAway(streams.lastAgentStreamId(), e.code(), e.getMessage())), null);
            }
        }
        closeWith(e.code().closeCode(), e.getMessage());
    }

    void closeWith(int code, String reason) {
        String r = reason == null ? "" : reason.length() > 120 ? reason.substring(0, 120) : reason;
        socket.close(code, r); // bounded: a peer that never answers is cut after a few seconds
    }

    /**
     * The socket is gone: every open stream fails (§5 of PROTOCOL.md). Called once, by the socket's
     * close listener ({@link RawWebSocket.Handler#onClosed}) only: a request whose OPEN was not written
     * by then never will be, so it may be routed again.
     */
    void closed(String why) {
        List<V2Stream> lost;
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            lost = streams.removeAll();
        }
        log.info("tunnel {} agent {} (version '{}') disconnected ({}), {} streams in flight", tunnel.tokenId(), remote,
                clientVersion, why, lost.size());
        for (V2Stream s : lost) {
            s.caller.onReset(ErrorCode.INTERNAL_ERROR, "tunnel connection lost", !s.openWritten);
        }
        tunnel.removeAgent(this);
        onClosed.run();
    }
}
