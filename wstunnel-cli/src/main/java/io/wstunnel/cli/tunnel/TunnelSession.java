package io.wstunnel.cli.tunnel;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.legacy.LegacyAgentSession;
import io.wstunnel.cli.legacy.LegacySwitch;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.FrameType;
import io.wstunnel.protocol.ProtocolException;
import io.wstunnel.protocol.ReceiveWindow;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.protocol.Subprotocol;
import io.wstunnel.protocol.WindowBudget;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tunnel connection speaking wstunnel.v2: HELLO exchange, stream table, keep-alive, GOAWAY and
 * close. All state transitions happen under {@code this} in the methods below; frames are read on
 * the WebSocket's (sequential) listener thread; stream handlers are never called under this lock.
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

    private final AgentConfig config;
    /** Receive-window growth shared by this tunnel's streams (PROTOCOL.md §3.6.1). */
    private final WindowBudget windowBudget;
    private final StreamHandlerFactory factory;
    private final ScheduledExecutorService scheduler;
    private final Events events;
    private final String server;
    private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
    private final KeepAlive keepAlive;
    private final Map<Integer, TunnelStream> streams = new HashMap<>();
    /** WEBSOCKET and TCP streams (the factory serves HTTP). */
    private final io.wstunnel.cli.stream.RawStreams rawStreams;

    // guarded by this
    private SessionState state = SessionState.DIALING;
    private WebSocket ws;
    private FrameWriter writer;
    private Settings peer;
    private int lastStreamId;   // highest server stream id accepted for processing (GOAWAY's last-stream-id)
    private int highestSeenId;  // highest server stream id seen at all (ids must increase)
    private boolean wasReady;
    private int drainCloseCode = 1000;
    private final List<ScheduledFuture<?>> timers = new ArrayList<>();
    private LegacyAgentSession legacy; // set when the server selected no subprotocol (Go wstunnel framing)

    public TunnelSession(AgentConfig config, StreamHandlerFactory factory, ScheduledExecutorService scheduler,
            Events events, String server) {
        this.config = config;
        this.windowBudget = new WindowBudget(config.windowBudget());
        this.factory = factory;
        this.scheduler = scheduler;
        this.events = events;
        this.server = server;
        this.keepAlive = new KeepAlive(config, scheduler, server, this::abort);
        this.rawStreams = new io.wstunnel.cli.stream.RawStreams(config, scheduler);
    }

    public WebSocket.Listener listener() {
        WebSocket.Listener v2 = new TunnelListener(this, config.settings().maxFrameSize());
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
                server, mask(config.token()));
        events.ready(this);
        return l;
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
                log.error("Server {} did not select subprotocol {} (got '{}'): legacy servers are not supported yet",
                        server, Subprotocol.V2, sub);
                socket.abort();
            } else {
                writer = new FrameWriter(socket, config.maxQueuedBytes(), scheduler, this::failed);
                state = SessionState.AWAIT_HELLO;
                writer.send(new Frame.Hello(config.settings()));
                keepAlive.ping(socket); // a first round-trip time for window auto-tuning
                long ping = keepAlive.periodMillis();
                try {
                    timers.add(scheduler.scheduleAtFixedRate(this::keepAliveTick, ping, ping, TimeUnit.MILLISECONDS));
                } catch (RejectedExecutionException e) {
                    // agent stopping
                }
                later(this::helloTimeout, config.dialTimeout().toMillis());
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
                        writer.send(new Frame.GoAway(lastStreamId, ErrorCode.GOING_AWAY, "agent shutting down"));
                    }
                    if (streams.isEmpty()) {
                        closeLocked(1001, "agent shutting down");
                    } else {
                        later(this::graceExpired, Math.max(0, grace.toMillis()));
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
            left = new ArrayList<>(streams.values());
        }
        log.warn("Shutdown grace expired with {} stream(s) in flight: cancelling them", left.size());
        for (TunnelStream s : left) {
            s.abort(ErrorCode.CANCEL, "agent shutting down", true);
        }
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
        later(() -> abort("close timeout"), CLOSE_TIMEOUT_MILLIS);
    }

    /** Schedules a timer owned by this session (cancelled when it ends). Caller holds this lock. */
    private void later(Runnable task, long millis) {
        try {
            timers.add(scheduler.schedule(task, millis, TimeUnit.MILLISECONDS));
        } catch (RejectedExecutionException e) {
            // the agent is stopping: its own shutdown ends this session
        }
    }

    void closedByPeer(int code, String reason) {
        log.debug("Server {} closed the tunnel: {} {}", server, code, reason);
        terminate("closed by server (" + code + (reason == null || reason.isEmpty() ? "" : " " + reason) + ")");
    }

    void failed(Throwable error) {
        WebSocket socket;
        synchronized (this) {
            socket = ws;
        }
        if (socket != null) {
            socket.abort();
        }
        terminate("error: " + error);
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
            timers.forEach(t -> t.cancel(false));
            timers.clear();
            left = new ArrayList<>(streams.values());
            streams.clear();
            if (hadSocket) {
                log.info("Tunnel to {} closed: {}", server, why);
            }
        }
        for (TunnelStream s : left) {
            s.abort(ErrorCode.CANCEL, "tunnel closed", false);
        }
        if (l != null) {
            l.terminated();
        }
        closedFuture.complete(null);
        events.closed(this, ready);
    }

    // ------------------------------------------------------------------ keep-alive

    void touch() {
        keepAlive.touch();
    }

    void pong() {
        keepAlive.pong();
    }

    /** Smoothed round-trip time of the tunnel socket, 0 while unknown. */
    long rttNanos() {
        return keepAlive.rttNanos();
    }

    private void keepAliveTick() {
        WebSocket socket;
        synchronized (this) {
            if (state == SessionState.CLOSED || ws == null) {
                return;
            }
            socket = ws;
        }
        keepAlive.tick(socket);
    }

    private void helloTimeout() {
        boolean late;
        synchronized (this) {
            late = state == SessionState.AWAIT_HELLO;
        }
        if (late) {
            connectionError(ErrorCode.PROTOCOL_ERROR, ErrorCode.PROTOCOL_ERROR.closeCode(), "no HELLO from the server");
        }
    }

    // ------------------------------------------------------------------ inbound frames (listener thread)

    void received(ByteBuffer message) {
        boolean open = message.hasRemaining() && (message.get(message.position()) & 0xFF) == FrameType.OPEN.code();
        try {
            try {
                dispatch(FrameCodec.decode(message, config.settings()));
            } catch (ProtocolException e) {
                if (!e.streamLevel()) {
                    throw e;
                }
                log.debug("Stream {} error: {}", e.streamId(), e.getMessage());
                if (open) {
                    malformedOpen(e); // decoding failed: dispatch never saw it
                } else {
                    resetStream(e.streamId(), e.code(), e.getMessage());
                }
            }
        } catch (ProtocolException e) {
            connectionError(e.code(), e.code().closeCode(), e.getMessage());
        }
    }

    void textReceived() {
        connectionError(ErrorCode.PROTOCOL_ERROR, 1003, "text message on the tunnel");
    }

    void messageTooBig(long size) {
        connectionError(ErrorCode.FRAME_TOO_LARGE, ErrorCode.FRAME_TOO_LARGE.closeCode(),
                "message of at least " + size + " bytes exceeds " + config.settings().maxFrameSize());
    }

    private void dispatch(Frame frame) {
        if (log.isDebugEnabled()) {
            log.debug("<- {} stream {}", frame.type(), frame.streamId());
        }
        TunnelStream stream;
        synchronized (this) {
            if (state == SessionState.CLOSED || state == SessionState.CLOSING) {
                return;
            }
            if (state == SessionState.AWAIT_HELLO) {
                if (!(frame instanceof Frame.Hello h)) {
                    throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "first frame is " + frame.type() + ", not HELLO");
                }
                peer = h.settings();
                state = SessionState.OPEN;
                wasReady = true;
                log.info("Tunnel to {} connected (token {})", server, mask(config.token()));
            } else if (frame instanceof Frame.Hello) {
                throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "second HELLO");
            }
            stream = frame instanceof Frame.Hello ? null : streams.get(frame.streamId());
        }
        if (frame instanceof Frame.Hello) {
            events.ready(this);
        } else if (frame instanceof Frame.Open o) {
            open(o);
        } else if (frame instanceof Frame.Data d) {
            if (stream != null) {
                stream.receiveData(d);
            }
        } else if (frame instanceof Frame.WindowUpdate w) {
            if (stream != null) {
                stream.receiveCredit(w.increment());
            }
        } else if (frame instanceof Frame.Reset r) {
            if (stream != null) {
                log.debug("Stream {} reset by server: {} {}", r.streamId(), r.code(), r.reason());
                stream.abort(r.code(), r.reason(), false);
            }
        } else if (frame instanceof Frame.Reply r) {
            // The agent opens no streams in this version: a REPLY can only be for a stream it never opened.
            throw ProtocolException.stream(ErrorCode.PROTOCOL_ERROR, r.streamId(), "REPLY for a stream the agent did not open");
        } else if (frame instanceof Frame.GoAway g) {
            goAway(g);
        }
    }

    /** Takes up a server-opened stream id, whatever becomes of its OPEN (PROTOCOL.md §3.2). Holds this lock. */
    private void claimStreamId(int id) {
        if ((id & 1) == 0 || id <= highestSeenId) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                    "OPEN with stream id " + id + " after " + highestSeenId + " (server ids are odd and increasing)");
        }
        highestSeenId = id;
        if (state == SessionState.OPEN) {
            lastStreamId = id;
        }
    }

    /**
     * An OPEN the decoder refused (unknown kind, empty method): the stream is reset, never looked up
     * (it cannot be one of ours), and its id is used up like any other.
     */
    private void malformedOpen(ProtocolException e) {
        synchronized (this) {
            if (state == SessionState.CLOSED || state == SessionState.CLOSING) {
                return;
            }
            if (state == SessionState.AWAIT_HELLO) {
                throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "first frame is OPEN, not HELLO");
            }
            claimStreamId(e.streamId());
            writer.send(new Frame.Reset(e.streamId(), e.code(), e.getMessage()));
        }
    }

    private void open(Frame.Open o) {
        TunnelStream stream;
        String refusal = null;
        synchronized (this) {
            int id = o.streamId();
            claimStreamId(id);
            if (state != SessionState.OPEN) {
                refusal = "agent is going away";
            } else {
                if (streams.size() >= config.settings().maxConcurrentStreams()) {
                    refusal = "too many concurrent streams";
                } else if (o.kind() != StreamKind.HTTP && !io.wstunnel.cli.stream.RawStreams.supports(o.kind())) {
                    refusal = o.kind() + " streams are not supported by this agent";
                }
            }
            if (refusal != null) {
                writer.send(new Frame.Reset(id, ErrorCode.REFUSED_STREAM, refusal));
                return;
            }
            stream = new TunnelStream(id, this, writer, peer.initialWindow(), peer.maxFramePayload(),
                    peer.maxHeadSize(), peer.replyBody(), config.settings().initialWindow(),
                    new ReceiveWindow(config.settings().initialWindow(), config.maxStreamWindow(), windowBudget),
                    o.endStream());
            streams.put(id, stream);
        }
        StreamHandler handler;
        try {
            handler = o.kind() == StreamKind.HTTP ? factory.open(o.head(), o.endStream(), stream)
                    : rawStreams.open(o.kind(), o.head(), o.endStream(), stream); // WEBSOCKET, TCP
        } catch (RuntimeException e) {
            log.warn("Stream {}: cannot start the local request: {}", o.streamId(), e.toString());
            stream.reset(ErrorCode.INTERNAL_ERROR, "agent failure: " + e.getMessage());
            return;
        }
        stream.attach(handler);
    }

    private void goAway(Frame.GoAway g) {
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

    private void resetStream(int id, ErrorCode code, String reason) {
        TunnelStream stream;
        synchronized (this) {
            stream = streams.get(id);
            if (stream == null) {
                if (writer != null && state != SessionState.CLOSED) {
                    writer.send(new Frame.Reset(id, code, reason));
                }
                return;
            }
        }
        stream.abort(code, reason, true);
    }

    /** Connection error: GOAWAY (best effort), then Close with {@code closeCode}. */
    private void connectionError(ErrorCode code, int closeCode, String reason) {
        log.warn("Protocol error on the tunnel to {}: {} {}", server, code, reason);
        synchronized (this) {
            if (state == SessionState.CLOSING || state == SessionState.CLOSED || writer == null) {
                return;
            }
            writer.send(new Frame.GoAway(lastStreamId, code, reason));
            closeLocked(closeCode, reason.length() > 100 ? reason.substring(0, 100) : reason);
        }
    }

    void streamClosed(TunnelStream stream) {
        stream.released(); // outside this monitor: the stream's own lock is taken after it, never under it
        synchronized (this) {
            if (streams.get(stream.id()) == stream) {
                streams.remove(stream.id());
            }
            if (state == SessionState.DRAINING && streams.isEmpty()) {
                closeLocked(drainCloseCode, drainCloseCode == 1001 ? "agent shutting down" : "server going away");
            }
        }
    }

    /** Number of open streams (for tests and statistics). */
    public synchronized int openStreams() {
        return streams.size();
    }

    static String mask(String token) {
        return AgentConfig.maskToken(token);
    }
}
