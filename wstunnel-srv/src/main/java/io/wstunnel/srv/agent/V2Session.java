package io.wstunnel.srv.agent;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.FrameType;
import io.wstunnel.protocol.ProtocolException;
import io.wstunnel.protocol.ReceiveWindow;
import io.wstunnel.protocol.RttEstimator;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent socket speaking wstunnel.v2. The session state machine and every stream's flow-control
 * state are guarded by this object's monitor; frames arrive on the socket's IO thread. Callers are
 * only ever notified after the monitor is released. The socket is our own {@link RawWebSocket}.
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
    private final Duration wsTimeout;
    private final int maxQueuedBytes;
    private final String remote;
    private final String clientVersion;
    private final Map<Integer, V2Stream> streams = new HashMap<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final List<Runnable> writableWaiters = new ArrayList<>();
    private final Runnable onClosed;

    private State state = State.AWAITING_HELLO;
    private Settings peer = Settings.DEFAULT;
    private int nextStreamId = firstStreamId;
    /** Set once the last stream id is used: GOAWAY is sent and the socket closes (1000) with its last stream. */
    private boolean idsExhausted;
    private int lastAgentStreamId;
    private volatile long lastReceivedNanos = System.nanoTime();
    private final io.wstunnel.srv.limits.Limits limits;
    private final io.wstunnel.srv.limits.TokenBucket controlFrames;
    private volatile boolean flooded;
    /** Receive-window growth shared by this socket's streams (PROTOCOL.md §3.6.1). */
    private final WindowBudget windowBudget;
    private final RttEstimator rtt = new RttEstimator();

    /** @param limits streams per agent, HELLO timeout and control-frame budget of this socket */
    public V2Session(RawWebSocket socket, Tunnel tunnel, Settings local, Duration wsTimeout, int maxQueuedBytes,
                     String remote, String clientVersion, Runnable onClosed, io.wstunnel.srv.limits.Limits limits) {
        this.limits = limits;
        this.windowBudget = new WindowBudget(limits.agentWindowBudget());
        this.controlFrames = new io.wstunnel.srv.limits.TokenBucket(limits.agentControlFramesPerSecond(),
                10.0 * limits.agentControlFramesPerSecond());
        this.socket = socket;
        this.tunnel = tunnel;
        this.local = local.withReplyBody(true); // we take REPLY+BODY (PROTOCOL.md §3.3)
        this.wsTimeout = wsTimeout;
        this.maxQueuedBytes = maxQueuedBytes;
        this.remote = remote;
        this.clientVersion = clientVersion;
        this.onClosed = onClosed;
    }

    /** Sends HELLO and starts receiving. Call once, after the upgrade. */
    public void start() {
        socket.allowPong(this::chargeControlFrame);
        socket.start(new Receiver());
        send(FrameCodec.encode(new Frame.Hello(local)), null);
        ping(); // a first round-trip time for window auto-tuning, before the keep-alive period
        scheduleKeepAlive();
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

    /** Streams this socket may carry at once: the agent's own limit and the server's, whichever is lower. */
    private int streamCap() {
        return Math.min(peer.maxConcurrentStreams(), limits.maxStreamsPerAgent());
    }

    /** Smallest credit a well-behaved receiver sends (PROTOCOL.md §3.6: it batches small credits). */
    private static final int MIN_UNCHARGED_CREDIT = 4096;

    /**
     * True for frames that make the server work without moving a live stream forward: anything for an
     * unknown or finished stream, tiny credits, and empty DATA without END_STREAM (it moves no byte and
     * ends nothing, yet is handed to the caller). REPLY, DATA with bytes or END_STREAM, RESET and
     * sizeable WINDOW_UPDATEs on live streams are bounded by the streams this server opened and the
     * bytes it sent, so they are never charged: a busy agent must not look like a flood.
     */
    private boolean costsWithoutProgress(Frame f) {
        if (f.streamId() == 0) {
            return !(f instanceof Frame.Hello);
        }
        if (f instanceof Frame.Open) {
            return true; // the server never accepts an agent's stream
        }
        if (stream(f.streamId()) == null) {
            return true;
        }
        if (f instanceof Frame.Data d) {
            return d.length() == 0 && !d.endStream();
        }
        return f instanceof Frame.WindowUpdate w && w.increment() < MIN_UNCHARGED_CREDIT;
    }

    /** Counts a frame that costs the server work without moving body bytes; false once over budget. */
    private boolean chargeControlFrame() {
        if (flooded) {
            return false; // already closing: drop the rest unread
        }
        if (controlFrames.tryAcquire() == 0) {
            return true;
        }
        flooded = true;
        protocolFailure(ProtocolException.connection(ErrorCode.POLICY_VIOLATION, "frame flood: more than "
                + limits.agentControlFramesPerSecond() + " control frames per second"));
        return false;
    }

    // ------------------------------------------------------------------ AgentConnection

    @Override
    public boolean tryOpen(CallerStream caller) {
        V2Stream s;
        synchronized (this) {
            if (state != State.OPEN || streams.size() >= streamCap() || !caller.isActive()) {
                return false;
            }
            int id = nextStreamId;
            boolean end = !caller.hasBody();
            ByteBuffer open = encodeOpen(id, caller, end);
            if (open == null) {
                caller.fail(431, "Request header fields too large for the tunnel (limit "
                        + peer.maxHeadSize() + " bytes)");
                return true; // answered: the tunnel must not queue it
            }
            nextStreamId += 2;
            s = new V2Stream(this, id, caller, peer.initialWindow(),
                    new ReceiveWindow(local.initialWindow(), limits.maxStreamWindow(), windowBudget),
                    peer.maxFramePayload());
            streams.put(id, s);
            if (end) {
                s.localEnded = true;
            }
            // Invariant: the caller learns of its stream before any reply can exist. onOpened only
            // posts to the caller's thread, so posting it first orders it before the agent's frames.
            caller.onOpened(s);
            send(open, () -> s.openWritten = true);
            if (id > LAST_STREAM_ID - 2) {
                // Ids exhausted: this socket finishes its streams and closes; the agent redials.
                state = State.DRAINING;
                idsExhausted = true;
                send(FrameCodec.encode(new Frame.GoAway(lastAgentStreamId, ErrorCode.NO_ERROR, "stream ids exhausted")), null);
            }
        }
        if (log.isDebugEnabled()) {
            log.debug("tunnel {} agent {}: stream {} opened for {}", tunnel.tokenId(), remote, s.id(), caller.requestId());
        }
        return true;
    }

    /** @return the OPEN frame, or null when the head exceeds what the agent accepts */
    private ByteBuffer encodeOpen(int id, CallerStream caller, boolean end) {
        try {
            ByteBuffer open = FrameCodec.encode(new Frame.Open(id, caller.kind(), caller.head(), end));
            return open.remaining() - FrameCodec.HEADER_SIZE > peer.maxHeadSize() ? null : open;
        } catch (IllegalArgumentException e) {
            return null; // a single header value over 64 KiB
        }
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
    public void goAway(String reason) {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            if (state != State.DRAINING) {
                state = State.DRAINING;
                send(FrameCodec.encode(new Frame.GoAway(lastAgentStreamId, ErrorCode.GOING_AWAY, reason)), null);
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

    // ------------------------------------------------------------------ outbound

    /** Queues a frame; {@code onWritten} runs (IO thread) once the frame is on the socket. */
    void send(ByteBuffer frame, Runnable onWritten) {
        int n = frame.remaining();
        queuedBytes.addAndGet(n);
        socket.send(frame, () -> {
            released(n);
            if (onWritten != null) {
                onWritten.run();
            }
        });
    }

    boolean socketWritable() {
        return queuedBytes.get() < maxQueuedBytes;
    }

    /** Runs {@code r} once the outbound queue is under its cap (possibly at once). */
    void whenWritable(Runnable r) {
        synchronized (writableWaiters) {
            writableWaiters.add(r);
        }
        if (socketWritable()) {
            runWritableWaiters();
        }
    }

    private void released(int n) {
        if (queuedBytes.addAndGet(-n) < maxQueuedBytes) {
            runWritableWaiters();
        }
    }

    private void runWritableWaiters() {
        List<Runnable> ready;
        synchronized (writableWaiters) {
            if (writableWaiters.isEmpty()) {
                return;
            }
            ready = new ArrayList<>(writableWaiters);
            writableWaiters.clear();
        }
        ready.forEach(Runnable::run);
    }

    /** A stream closed outside frame dispatch: queued requests may use the slot. Monitor not held. */
    void slotFreed() {
        tunnel.drain();
    }

    /** Called with the monitor held when a stream has ended both ways or been reset. */
    void forget(V2Stream s) {
        drop(s.id());
    }

    /**
     * Monitor held: the stream is over (closed, its window growth returned); null if it was gone
     * already. Every stream leaves through here or {@link #closed}, so a session whose ids ran out
     * closes its socket here once its last stream is gone.
     */
    private V2Stream drop(int id) {
        V2Stream s = streams.remove(id);
        if (s != null) {
            s.closed = true;
            s.released();
        }
        if (idsExhausted && streams.isEmpty()) {
            closeWith(ErrorCode.NO_ERROR.closeCode(), "stream ids exhausted"); // only posts to the IO thread
        }
        return s;
    }

    /**
     * Stream-level failure detected locally on a live stream: RESET it and tell its caller. Nothing is
     * sent for a stream that is already gone (its RESET or end was sent then).
     */
    private void resetStream(int id, ErrorCode code, String reason) {
        V2Stream s;
        synchronized (this) {
            if (stream(id) == null) {
                return;
            }
            send(FrameCodec.encode(new Frame.Reset(id, code, reason)), null);
            s = drop(id);
        }
        log.warn("tunnel {} agent {}: stream {} reset: {} {}", tunnel.tokenId(), remote, id, code, reason);
        s.caller.onReset(code, reason, false);
        tunnel.drain();
    }

    // ------------------------------------------------------------------ inbound

    private void onMessage(ByteBuffer message) {
        int type = message.hasRemaining() ? message.get(message.position()) & 0xFF : -1;
        try {
            Frame f;
            try {
                f = FrameCodec.decode(message, local);
            } catch (ProtocolException e) {
                if (!e.streamLevel()) {
                    throw e;
                }
                onStreamLevelDecodeError(type == FrameType.OPEN.code(), e);
                return;
            }
            if (costsWithoutProgress(f) && !chargeControlFrame()) {
                return;
            }
            if (log.isTraceEnabled()) {
                log.trace("tunnel {} agent {}: received {} stream {}", tunnel.tokenId(), remote, f.type(), f.streamId());
            }
            dispatch(f);
        } catch (ProtocolException e) {
            if (e.streamLevel()) {
                resetStream(e.streamId(), e.code(), e.getMessage()); // a rule of a live stream (V2Stream)
            } else {
                protocolFailure(e);
            }
        }
    }

    /**
     * A frame whose layout is valid but breaks a stream-level rule (PROTOCOL.md §2: unknown OPEN kind,
     * empty method, REPLY status out of range). It is treated as the well-formed frame of its type
     * would be, and charged the same: an OPEN obeys the agent's id rules and uses its id up, then is
     * reset; a REPLY resets the named stream when it is live and is otherwise a frame without progress.
     */
    private void onStreamLevelDecodeError(boolean open, ProtocolException e) {
        int id = e.streamId();
        if ((open || stream(id) == null) && !chargeControlFrame()) {
            return;
        }
        requireHello(open ? FrameType.OPEN : FrameType.REPLY);
        if (open) {
            agentOpened(id, e.code(), e.getMessage());
        } else {
            resetStream(id, e.code(), e.getMessage());
        }
    }

    private synchronized void requireHello(FrameType type) {
        if (state == State.AWAITING_HELLO) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "first frame must be HELLO, got " + type);
        }
    }

    /**
     * An agent OPEN, well-formed or not: its id must be even and above the agent's previous one
     * (connection PROTOCOL_ERROR otherwise, PROTOCOL.md §3.2), and counts as used; the stream is
     * answered with RESET {@code code}. The agent's ids never name a server stream, so none is looked up.
     */
    private void agentOpened(int id, ErrorCode code, String reason) {
        synchronized (this) {
            if (id % 2 != 0 || id <= lastAgentStreamId) {
                throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "agent opened stream " + id
                        + " (agent ids must be even and increasing)");
            }
            lastAgentStreamId = id;
            send(FrameCodec.encode(new Frame.Reset(id, code, reason)), null);
        }
        log.debug("tunnel {} agent {}: agent-opened stream {} reset: {} {}", tunnel.tokenId(), remote, id, code, reason);
    }

    private void dispatch(Frame f) {
        if (f instanceof Frame.Hello h) {
            synchronized (this) {
                if (state != State.AWAITING_HELLO) {
                    throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "second HELLO");
                }
                peer = h.settings();
                state = State.OPEN;
            }
            log.debug("tunnel {} agent {}: HELLO {}", tunnel.tokenId(), remote, h.settings());
            tunnel.drain();
            return;
        }
        requireHello(f.type());
        V2Stream s;
        if (f instanceof Frame.Data d) {
            s = stream(d.streamId());
            if (s != null && s.onData(d)) {
                tunnel.drain();
            }
        } else if (f instanceof Frame.WindowUpdate w) {
            s = stream(w.streamId());
            if (s != null) {
                s.onWindowUpdate(w.increment());
            }
        } else if (f instanceof Frame.Reply r) {
            s = stream(r.streamId());
            if (s != null && s.onReply(r)) {
                tunnel.drain();
            }
        } else if (f instanceof Frame.Reset r) {
            synchronized (this) {
                s = drop(r.streamId());
            }
            if (s != null) {
                log.debug("tunnel {} agent {}: stream {} reset by agent: {} {}", tunnel.tokenId(), remote, r.streamId(), r.code(), r.reason());
                s.caller.onReset(r.code(), r.reason(), r.code() == ErrorCode.REFUSED_STREAM);
                tunnel.drain();
            }
        } else if (f instanceof Frame.GoAway g) {
            onGoAway(g);
        } else if (f instanceof Frame.Open o) {
            agentOpened(o.streamId(), ErrorCode.REFUSED_STREAM, "agent-initiated streams are not supported");
        } else {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "unexpected " + f.type());
        }
    }

    private synchronized V2Stream stream(int id) {
        return streams.get(id);
    }

    private void onGoAway(Frame.GoAway g) {
        List<V2Stream> unprocessed = new ArrayList<>();
        synchronized (this) {
            if (state == State.OPEN) {
                state = State.DRAINING;
            }
            for (V2Stream s : new ArrayList<>(streams.values())) {
                if (s.id() > g.lastStreamId()) {
                    drop(s.id());
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

    private void protocolFailure(ProtocolException e) {
        log.warn("tunnel {} agent {}: protocol error {}: {}; closing the tunnel socket", tunnel.tokenId(), remote,
                e.code(), e.getMessage());
        synchronized (this) {
            if (state != State.CLOSED) {
                send(FrameCodec.encode(new Frame.GoAway(lastAgentStreamId, e.code(), e.getMessage())), null);
            }
        }
        closeWith(e.code().closeCode(), e.getMessage());
    }

    private void closeWith(int code, String reason) {
        String r = reason == null ? "" : reason.length() > 120 ? reason.substring(0, 120) : reason;
        socket.close(code, r); // bounded: a peer that never answers is cut after a few seconds
    }

    /**
     * The socket is gone: every open stream fails (§5 of PROTOCOL.md). Called once, by the socket's
     * close listener ({@link RawWebSocket.Handler#onClosed}) only: a request whose OPEN was not written
     * by then never will be, so it may be routed again.
     */
    private void closed(String why) {
        List<V2Stream> lost;
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            lost = new ArrayList<>(streams.values());
            streams.clear();
            lost.forEach(s -> s.closed = true);
        }
        log.info("tunnel {} agent {} disconnected ({}), {} streams in flight", tunnel.tokenId(), remote, why, lost.size());
        for (V2Stream s : lost) {
            s.caller.onReset(ErrorCode.INTERNAL_ERROR, "tunnel connection lost", !s.openWritten);
        }
        tunnel.removeAgent(this);
        onClosed.run();
    }

    private void ping() {
        rtt.pingSent(System.nanoTime());
        socket.ping();
    }

    /** Smoothed round-trip time of this socket (keep-alive pings), 0 while unknown. */
    long rttNanos() {
        return rtt.nanos();
    }

    private void scheduleKeepAlive() {
        long periodMs = Math.max(1000, wsTimeout.toMillis() / 3);
        socket.schedule(() -> {
            synchronized (this) {
                if (state == State.CLOSED) {
                    return;
                }
            }
            long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastReceivedNanos);
            if (silentMs > wsTimeout.toMillis()) {
                log.warn("tunnel {} agent {}: nothing received for {} ms, closing as dead", tunnel.tokenId(), remote, silentMs);
                socket.abort("dead peer"); // closed() follows from the close listener
                return;
            }
            ping();
            scheduleKeepAlive();
        }, periodMs);
    }

    private final class Receiver implements RawWebSocket.Handler {
        @Override
        public void onBinary(ByteBuffer message) {
            lastReceivedNanos = System.nanoTime();
            onMessage(message);
        }

        @Override
        public void onText() {
            log.warn("tunnel {} agent {}: text message on a wstunnel.v2 socket; closing", tunnel.tokenId(), remote);
            closeWith(1003, "text messages are not part of wstunnel.v2");
        }

        @Override
        public void onPing() {
            lastReceivedNanos = System.nanoTime(); // answered unless chargeControlFrame() refuses
        }

        @Override
        public void onPong() {
            lastReceivedNanos = System.nanoTime();
            rtt.pongReceived(lastReceivedNanos);
        }

        @Override
        public void onClosed(String why) {
            closed(why);
        }
    }
}
