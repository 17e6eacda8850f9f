package io.wstunnel.cli.tunnel;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.legacy.LegacyAgentSession;
import io.wstunnel.cli.legacy.LegacySwitch;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameType;
import io.wstunnel.protocol.ProtocolException;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.Subprotocol;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tunnel connection speaking wstunnel.v2: HELLO exchange, stream table, keep-alive, GOAWAY and
 * close. All state transitions happen under {@code this} in the methods below, which also guards
 * the {@link StreamTable} and the {@link SessionTimers}; frames are read and routed by the
 * {@link TunnelReceiver} on the WebSocket's (sequential) listener thread; stream handlers are never
 * called under this lock.
 */
public final class TunnelSession {
    private static final Logger log = LoggerFactory.getLogger(TunnelSession.class);
    private static final long CLOSE_TIMEOUT_MILLIS = 3000;

    /** What the connector learns about a session. */
    public interface Events {
        void ready(TunnelSession session);

        /** Called exactly once, when the session is over (whether it ever opened or not). */
        void closed(TunnelSession session, boolean wasReady);
    }

    /** An inbound frame let through by {@link #admit}, with its stream if the table has one. */
    record Admitted(TunnelStream stream) { }

    private final AgentConfig config;
    private final StreamHandlerFactory factory;
    private final ScheduledExecutorService scheduler;
    private final Events events;
    private final String server;
    private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
    private final KeepAlive keepAlive;

    // guarded by this
    private final StreamTable streams;
    private final SessionTimers timers;
    private SessionState state = SessionState.DIALING;
    private WebSocket ws;
    private FrameWriter writer;
    private Settings peer;
    private boolean wasReady;
    private int drainCloseCode = 1000;
    private LegacyAgentSession legacy; // set when the server selected no subprotocol (Go wstunnel framing)

    public TunnelSession(AgentConfig config, StreamHandlerFactory factory, ScheduledExecutorService scheduler,
            Events events, String server) {
        this.config = config;
        this.factory = factory;
        this.scheduler = scheduler;
        this.events = events;
        this.server = server;
        this.keepAlive = new KeepAlive(config, scheduler, server, this::abort);
        this.streams = new StreamTable(config, factory, scheduler);
        this.timers = new SessionTimers(scheduler);
    }

    public WebSocket.Listener listener() {
        WebSocket.Listener v2 = new TunnelListener(this, new TunnelReceiver(this, config.settings()), keepAlive,
                config.settings().maxFrameSize());
        return config.protocol() == AgentConfig.Protocol.V2 ? v2 : new LegacySwitch(v2, this::legacyTakeover);
    }

    /** The server selected no subprotocol: speak the Go wstunnel framing on this socket (cli.legacy). */
    private WebSocket.Listener legacyTakeover(WebSocket socket) {
        LegacyAgentSession l;
        synchronized (this) {
            if (state != SessionState.DIALING) {
                socket.abort();
                return null;
            }
            ws = socket;
            state = SessionState.OPEN;
            wasReady = true;
            l = new LegacyAgentSession(config, factory, scheduler, socket, server, this::terminate);
            legacy = l;
        }
        log.info("Tunnel to {} connected, legacy (Go wstunnel) framing: the server selected no subprotocol (token {})",
                server, AgentConfig.maskToken(config.token()));
        events.ready(this);
        return l.listener();
    }

    public synchronized SessionState state() {
        return state;
    }

    public CompletableFuture<Void> closedFuture() {
        return closedFuture;
    }

    // ------------------------------------------------------------------ life cycle

    void opened(WebSocket socket) {
        String sub = socket.getSubprotocol();
        synchronized (this) {
            if (state != SessionState.DIALING) {
                socket.abort();
                return;
            }
            ws = socket;
            if (!Subprotocol.V2.equals(sub)) {
                log.error("Server {} did not select subprotocol {} (got '{}'); closing",
                        server, Subprotocol.V2, sub);
                socket.abort();
            } else {
                writer = new FrameWriter(socket, config.maxQueuedBytes(), scheduler, this::failed);
                state = SessionState.AWAIT_HELLO;
                writer.send(new Frame.Hello(config.settings()));
                keepAlive.ping(socket); // a first round-trip time for window auto-tuning
                timers.every(() -> keepAlive.tick(liveSocket()), keepAlive.periodMillis());
                timers.later(this::helloTimeout, config.dialTimeout().toMillis());
                log.debug("WebSocket to {} open, HELLO sent", server);
                return;
            }
        }
        terminate("wrong subprotocol");
    }

    /** The dial failed before a WebSocket existed. */
    public void dialFailed() {
        terminate("dial failed");
    }

    /**
     * Graceful stop: GOAWAY, let in-flight streams finish within {@code grace}, then close 1001.
     *
     * @return completes when the socket is gone
     */
    public CompletableFuture<Void> shutdown(Duration grace) {
        boolean terminateNow = false;
        LegacyAgentSession l;
        synchronized (this) {
            l = state == SessionState.CLOSED ? null : legacy;
        }
        if (l != null) {
            l.shutdown(grace);
            return closedFuture;
        }
        synchronized (this) {
            switch (state) {
                case DIALING -> terminateNow = true;
                case AWAIT_HELLO, OPEN, DRAINING -> {
                    drainCloseCode = 1001;
                    if (state != SessionState.DRAINING) {
                        state = SessionState.DRAINING;
                        writer.send(new Frame.GoAway(streams.lastStreamId(), ErrorCode.GOING_AWAY, "agent shutting down"));
                    }
                    if (streams.isEmpty()) {
                        closeLocked(1001, "agent shutting down");
                    } else {
                        timers.later(this::graceExpired, Math.max(0, grace.toMillis()));
                    }
                }
                default -> { }
            }
        }
        if (terminateNow) {
            terminate("stopped while dialing");
        }
        return closedFuture;
    }

    /** Drops the socket at once (after a failed graceful close). */
    public void abort(String why) {
        WebSocket socket;
        synchronized (this) {
            socket = ws;
        }
        if (socket != null) {
            socket.abort();
        }
        terminate(why);
    }

    private void graceExpired() {
        List<TunnelStream> left;
        synchronized (this) {
            if (state != SessionState.DRAINING) {
                return;
            }
            left = streams.snapshot();
        }
        log.warn("Shutdown grace expired with {} stream(s) in flight: cancelling them", left.size());
        left.forEach(s -> s.abort(ErrorCode.CANCEL, "agent shutting down", true));
        synchronized (this) {
            closeLocked(drainCloseCode, "agent shutting down");
        }
    }

    /** Sends Close after the queue drains; aborts if the peer does not finish the close in time. */
    private void closeLocked(int code, String reason) {
        if (state == SessionState.CLOSING || state == SessionState.CLOSED) {
            return;
        }
        state = SessionState.CLOSING;
        writer.closeAfterDrain(code, reason);
        timers.later(() -> abort("close timeout"), CLOSE_TIMEOUT_MILLIS);
    }

    void closedByPeer(int code, String reason) {
        log.debug("Server {} closed the tunnel: {} {}", server, code, reason);
        terminate("closed by server (" + code + (reason == null || reason.isEmpty() ? "" : " " + reason) + ")");
    }

    void failed(Throwable error) {
        abort("error: " + error);
    }

    /** Ends the session once: cancels timers, fails streams, tells the connector. */
    private void terminate(String why) {
        List<TunnelStream> left;
        boolean ready;
        LegacyAgentSession l;
        synchronized (this) {
            l = legacy;
            if (state == SessionState.CLOSED) {
                return;
            }
            boolean hadSocket = ws != null;
            state = SessionState.CLOSED;
            ready = wasReady;
            timers.cancelAll();
            left = streams.clear();
            if (hadSocket) {
                log.info("Tunnel to {} closed: {}", server, why);
            }
        }
        left.forEach(s -> s.abort(ErrorCode.CANCEL, "tunnel closed", false));
        if (l != null) {
            l.terminated();
        }
        closedFuture.complete(null);
        events.closed(this, ready);
    }

    // ------------------------------------------------------------------ keep-alive

    /** Smoothed round-trip time of the tunnel socket, 0 while unknown. */
    long rttNanos() {
        return keepAlive.rttNanos();
    }

    /** The socket, null once the session is over. */
    private synchronized WebSocket liveSocket() {
        return state == SessionState.CLOSED ? null : ws;
    }

    private void helloTimeout() {
        if (state() == SessionState.AWAIT_HELLO) {
            connectionError(ErrorCode.PROTOCOL_ERROR, ErrorCode.PROTOCOL_ERROR.closeCode(), "no HELLO from the server");
        }
    }

    // ------------------------------------------------------------------ inbound frames (listener thread)

    /** The server's HELLO: the session becomes ready (only as the first frame). */
    void hello(Frame.Hello h) {
        synchronized (this) {
            if (!admitting(FrameType.HELLO)) {
                return;
            }
            if (state != SessionState.AWAIT_HELLO) {
                throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "second HELLO");
            }
            peer = h.settings();
            state = SessionState.OPEN;
            wasReady = true;
            log.info("Tunnel to {} connected (token {})", server, AgentConfig.maskToken(config.token()));
        }
        events.ready(this);
    }

    /** Admits any frame but HELLO, and looks up its stream in the same step; null: drop the frame. */
    synchronized Admitted admit(Frame frame) {
        return admitting(frame.type()) ? new Admitted(streams.get(frame.streamId())) : null;
    }

    /** Holds this lock. False once closing (inbound frames are dropped); HELLO must come first. */
    private boolean admitting(FrameType type) {
        if (state == SessionState.CLOSED || state == SessionState.CLOSING) {
            return false;
        }
        if (state == SessionState.AWAIT_HELLO && type != FrameType.HELLO) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "first frame is " + type + ", not HELLO");
        }
        return true;
    }

    /**
     * A stream-level protocol error: the stream is reset. {@code open}: an OPEN the decoder refused
     * (unknown kind, empty method), never looked up (it cannot be one of ours), its id used up like any other.
     */
    void streamError(ProtocolException e, boolean open) {
        TunnelStream stream;
        synchronized (this) {
            if (open) {
                if (admitting(FrameType.OPEN)) {
                    streams.claim(e.streamId(), state == SessionState.OPEN);
                    writer.send(new Frame.Reset(e.streamId(), e.code(), e.getMessage()));
                }
                return;
            }
            stream = streams.get(e.streamId());
            if (stream == null) {
                if (writer != null && state != SessionState.CLOSED) {
                    writer.send(new Frame.Reset(e.streamId(), e.code(), e.getMessage()));
                }
                return;
            }
        }
        stream.abort(e.code(), e.getMessage(), true);
    }

    /** A server OPEN: its id is used up (PROTOCOL.md §3.2); refused unless the session is OPEN. */
    void open(Frame.Open o) {
        TunnelStream stream;
        synchronized (this) {
            stream = streams.accept(o, state == SessionState.OPEN, this, writer, peer);
        }
        if (stream != null) {
            streams.start(o, stream);
        }
    }

    void goAway(Frame.GoAway g) {
        log.info("Server {} sent GOAWAY ({} {}): finishing in-flight streams, then reconnecting", server, g.code(), g.reason());
        synchronized (this) {
            if (state != SessionState.OPEN) {
                return;
            }
            state = SessionState.DRAINING;
            if (streams.isEmpty()) {
                closeLocked(1000, "server going away");
            }
        }
    }

    /** Connection error: GOAWAY (best effort), then Close with {@code closeCode}. */
    void connectionError(ErrorCode code, int closeCode, String reason) {
        log.warn("Protocol error on the tunnel to {}: {} {}", server, code, reason);
        synchronized (this) {
            if (state == SessionState.CLOSING || state == SessionState.CLOSED || writer == null) {
                return;
            }
            writer.send(new Frame.GoAway(streams.lastStreamId(), code, reason));
            closeLocked(closeCode, reason.length() > 100 ? reason.substring(0, 100) : reason);
        }
    }

    void streamClosed(TunnelStream stream) {
        stream.released(); // outside this monitor: the stream's own lock is taken after it, never under it
        synchronized (this) {
            streams.remove(stream);
            if (state == SessionState.DRAINING && streams.isEmpty()) {
                closeLocked(drainCloseCode, drainCloseCode == 1001 ? "agent shutting down" : "server going away");
            }
        }
    }

    /** Number of open streams (for tests and statistics). */
    public synchronized int openStreams() {
        return streams.size();
    }
}
