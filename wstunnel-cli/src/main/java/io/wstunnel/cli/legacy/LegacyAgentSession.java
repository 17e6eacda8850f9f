package io.wstunnel.cli.legacy;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.tunnel.StatusFile;
import io.wstunnel.cli.tunnel.StreamHandler;
import io.wstunnel.cli.tunnel.StreamHandlerFactory;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.legacy.LegacyMessageParser;
import io.wstunnel.protocol.legacy.LegacyProtocolException;
import java.io.IOException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tunnel socket speaking the Go wstunnel framing (LEGACY.md §1–§3), agent side.
 *
 * <p>Inbound: each binary message is a 4-hex-digit id + an HTTP/1.1 request, fed fragment by
 * fragment to an incremental {@link LegacyMessageParser}; the request starts on the local side
 * ({@link StreamHandlerFactory#openHttp}) as soon as its head is parsed and its body streams on.
 * Reading pauses ({@code ws.request} withheld) while more than {@link #READ_PAUSE_BYTES} of request
 * body wait for local services.
 *
 * <p>Outbound: each response is ONE binary message sent in fragments ({@code sendBinary(part,
 * false)} … {@code last=true}); only one message is in transit per socket, so the other responses
 * wait whole, each buffering at most {@link #PER_EXCHANGE_BYTES} and all of them together at most
 * {@code -maxQueuedBytes}; local reads stop while an exchange has no credit. A waiting response that
 * is already complete goes before one still streaming.
 *
 * <p>Keep-alive: a ping at once and every {@code timeout/3}; no pong (nor other traffic) for
 * {@code timeout} ends the socket; every pong rewrites {@code -statusfile}.
 *
 * <p>Locking: all state is guarded by {@link #lock}; handlers, relays and the WebSocket are never
 * called while holding it.
 */
public final class LegacyAgentSession implements WebSocket.Listener {
    static final Logger log = LoggerFactory.getLogger(LegacyAgentSession.class);
    /** Request body bytes handed to local services and not yet taken by them, above which reading pauses. */
    static final long READ_PAUSE_BYTES = 1024 * 1024;
    /** Response bytes one exchange may buffer before its local read stops. */
    static final int PER_EXCHANGE_BYTES = 256 * 1024;
    private static final long CLOSE_TIMEOUT_MILLIS = 3000;
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    final Object lock = new Object();
    private final AgentConfig config;
    private final StreamHandlerFactory factory;
    private final ScheduledExecutorService scheduler;
    private final WebSocket ws;
    private final String server;
    private final Consumer<String> onEnd;
    private final AtomicBoolean pingInFlight = new AtomicBoolean();
    private volatile long lastAliveNanos = System.nanoTime();

    // reader thread only
    private LegacyMessageParser parser;
    private Reader reader;
    private boolean skipping;

    // guarded by lock
    private final Set<LegacyExchange> active = new LinkedHashSet<>();
    private final ArrayDeque<LegacyExchange> ready = new ArrayDeque<>();
    private final List<ScheduledFuture<?>> timers = new ArrayList<>();
    private LegacyExchange owner;
    private long totalBuffered;
    private long unconsumed;
    private boolean readPaused;
    private boolean sending;
    private boolean pumping;
    private boolean draining;
    private boolean closing;
    private boolean closed;

    /**
     * @param onEnd called (possibly more than once) when the socket is over; the owner then calls {@link #terminated}
     */
    public LegacyAgentSession(AgentConfig config, StreamHandlerFactory factory, ScheduledExecutorService scheduler,
            WebSocket ws, String server, Consumer<String> onEnd) {
        this.config = config;
        this.factory = factory;
        this.scheduler = scheduler;
        this.ws = ws;
        this.server = server;
        this.onEnd = onEnd;
    }

    long periodMillis() {
        return Math.max(50, config.timeout().toMillis() / 3);
    }

    // ------------------------------------------------------------------ WebSocket.Listener (reader thread)

    @Override
    public void onOpen(WebSocket socket) {
        long period = periodMillis();
        synchronized (lock) {
            try {
                // The Go agent pings at once, then every timeout/3; the Go server drops agents that do not ping.
                timers.add(scheduler.scheduleAtFixedRate(this::keepAliveTick, 0, period, TimeUnit.MILLISECONDS));
            } catch (RejectedExecutionException e) {
                // agent stopping
            }
        }
        socket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
        touch();
        if (!skipping) {
            if (parser == null) {
                reader = new Reader();
                parser = new LegacyMessageParser(LegacyMessageParser.Kind.REQUEST,
                        LegacyMessageParser.DEFAULT_MAX_HEAD_SIZE, null, reader);
                reader.parser = parser;
            }
            try {
                parser.feed(data);
                if (last) {
                    parser.endOfMessage();
                }
            } catch (LegacyProtocolException e) {
                if (badMessage(e)) {
                    return null; // socket dropped
                }
                skipping = !last;
            }
        } else if (last) {
            skipping = false;
        }
        if (last) {
            parser = null;
            reader = null;
        }
        boolean more;
        synchronized (lock) {
            more = !closed && unconsumed <= READ_PAUSE_BYTES;
            readPaused = !more && !closed;
        }
        if (more) {
            socket.request(1);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
        log.warn("Text message from the legacy server {}: dropping the tunnel", server);
        socket.abort();
        onEnd.accept("text message on a legacy tunnel");
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket socket, ByteBuffer message) {
        touch(); // the JDK answers with a pong by itself
        socket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket socket, ByteBuffer message) {
        touch();
        if (config.statusFile() != null) {
            execute(() -> {
                try {
                    StatusFile.write(config.statusFile(), Instant.now(), ZoneId.systemDefault());
                } catch (IOException | RuntimeException e) {
                    log.warn("Cannot write status file {}: {}", config.statusFile(), e.toString());
                }
            });
        }
        socket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
        log.debug("Legacy server {} closed the tunnel: {} {}", server, statusCode, reason);
        socket.abort();
        onEnd.accept("closed by server (" + statusCode + (reason == null || reason.isEmpty() ? "" : " " + reason) + ")");
        return null;
    }

    @Override
    public void onError(WebSocket socket, Throwable error) {
        socket.abort();
        onEnd.accept("error: " + error);
    }

    /** @return true when the socket was dropped */
    private boolean badMessage(LegacyProtocolException e) {
        if (e.kind() == LegacyProtocolException.Kind.BAD_ID) {
            log.warn("Legacy server {} sent a message without a valid request id: dropping the tunnel ({})", server,
                    e.getMessage());
            ws.abort();
            onEnd.accept("bad request id");
            return true;
        }
        log.warn("Legacy request {}: malformed ({}): answering 400", e.id(), e.getMessage());
        LegacyExchange x = reader == null ? null : reader.exchange;
        if (x == null && e.id() >= 0) {
            x = new LegacyExchange(this, e.id(), false);
            if (!register(x)) {
                return false;
            }
        }
        if (x != null) {
            StreamHandler h = x.handler;
            if (h != null) {
                h.onReset(ErrorCode.PROTOCOL_ERROR, "malformed request");
            }
            x.replyText(400, "Bad Request", "wstunnel cli: malformed request: " + e.getMessage());
            x.reset(ErrorCode.PROTOCOL_ERROR, "malformed request");
        }
        return false;
    }

    private boolean register(LegacyExchange x) {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            active.add(x);
            return true;
        }
    }

    /** Parses one request message; one per message. */
    private final class Reader implements LegacyMessageParser.Listener {
        LegacyMessageParser parser;
        LegacyExchange exchange;
        boolean bodyFollows;

        @Override
        public void onRequestHead(int id, RequestHead head, String version) {
            LegacyExchange x = new LegacyExchange(LegacyAgentSession.this, id, "HEAD".equals(head.method()));
            if (!register(x)) {
                return;
            }
            exchange = x;
            boolean drainingNow;
            synchronized (lock) {
                drainingNow = draining;
            }
            if (drainingNow) {
                x.replyText(503, "Service Unavailable", "wstunnel cli: agent shutting down");
                return;
            }
            boolean end = parser.framing() == LegacyMessageParser.Framing.NONE;
            bodyFollows = !end;
            log.debug("Legacy request {}: {} {}", id, head.method(), head.target());
            try {
                x.handler = factory.openHttp(head, end, x);
            } catch (RuntimeException e) {
                log.warn("Legacy request {}: cannot start the local request: {}", id, e.toString());
                x.replyText(502, "Bad Gateway", "wstunnel cli: agent failure: " + e.getMessage());
            }
        }

        @Override
        public void onBody(ByteBuffer chunk) {
            LegacyExchange x = exchange;
            StreamHandler h = x == null ? null : x.handler;
            int n = chunk.remaining();
            if (h == null || n == 0) {
                return;
            }
            synchronized (lock) {
                if (x.done || closed) {
                    return;
                }
                x.requestBodyUnconsumed += n;
                unconsumed += n;
            }
            ByteBuffer copy = ByteBuffer.allocate(n);
            copy.put(chunk).flip();
            h.onData(copy, false);
        }

        @Override
        public void onEnd() {
            LegacyExchange x = exchange;
            StreamHandler h = x == null ? null : x.handler;
            if (h != null && bodyFollows) {
                h.onData(ByteBuffer.allocate(0), true);
            }
        }
    }

    // ------------------------------------------------------------------ request body accounting

    void consumed(LegacyExchange x, int n) {
        boolean resume;
        synchronized (lock) {
            long take = Math.min(n, x.requestBodyUnconsumed);
            if (take <= 0) {
                return;
            }
            x.requestBodyUnconsumed -= take;
            unconsumed -= take;
            resume = resumeLocked();
        }
        if (resume) {
            ws.request(1);
        }
    }

    private boolean resumeLocked() {
        if (readPaused && !closed && unconsumed <= READ_PAUSE_BYTES / 2) {
            readPaused = false;
            return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ response messages

    /** What {@code x} may buffer now. Caller holds the lock. */
    int creditFor(LegacyExchange x) {
        if (closed) {
            return 0;
        }
        long room = PER_EXCHANGE_BYTES - x.buffered;
        if (x != owner) {
            room = Math.min(room, config.maxQueuedBytes() - totalBuffered);
        }
        return (int) Math.max(0, room);
    }

    void bufferedChanged(LegacyExchange x, long delta) {
        totalBuffered += delta;
    }

    /** {@code x} has bytes to send. Caller holds the lock. */
    void readyLocked(LegacyExchange x) {
        if (x != owner && !ready.contains(x)) {
            ready.add(x);
        }
    }

    /** Sends the next fragment if the socket is free; loops while sends complete at once. */
    void pump() {
        synchronized (lock) {
            if (pumping) {
                return;
            }
            pumping = true;
        }
        while (true) {
            ByteBuffer b;
            boolean last;
            LegacyExchange x;
            boolean resume = false;
            synchronized (lock) {
                if (closed || sending) {
                    pumping = false;
                    return;
                }
                if (owner == null) {
                    owner = pickLocked();
                }
                x = owner;
                if (x == null) {
                    pumping = false;
                    return;
                }
                if (!x.out.isEmpty()) {
                    b = x.out.poll();
                    last = x.ended && x.out.isEmpty();
                    x.buffered -= b.remaining();
                    totalBuffered -= b.remaining();
                } else if (x.ended) {
                    b = EMPTY.duplicate();
                    last = true;
                } else {
                    pumping = false;
                    return; // the owner's next bytes are not there yet
                }
                x.startedSending = true;
                sending = true;
                if (last) {
                    owner = null;
                    resume = finishLocked(x);
                }
            }
            if (resume) {
                ws.request(1);
            }
            CompletableFuture<WebSocket> cf;
            try {
                cf = ws.sendBinary(b, last);
            } catch (RuntimeException e) {
                cf = CompletableFuture.failedFuture(e);
            }
            cf.whenComplete((w, e) -> sent(e));
        }
    }

    /** A ready exchange whose message is complete goes first (it cannot hold the socket long), else the oldest. */
    private LegacyExchange pickLocked() {
        for (Iterator<LegacyExchange> it = ready.iterator(); it.hasNext();) {
            LegacyExchange x = it.next();
            if (x.ended) {
                it.remove();
                return x;
            }
        }
        return ready.poll();
    }

    /** The exchange is over on the tunnel side. Caller holds the lock. @return whether reading may resume */
    private boolean finishLocked(LegacyExchange x) {
        x.done = true;
        x.writable = null;
        active.remove(x);
        ready.remove(x);
        totalBuffered -= x.buffered;
        x.buffered = 0;
        x.out.clear();
        unconsumed -= x.requestBodyUnconsumed;
        x.requestBodyUnconsumed = 0;
        if (draining && active.isEmpty()) {
            execute(this::closeNow);
        }
        return resumeLocked();
    }

    private void sent(Throwable error) {
        if (error != null) {
            log.info("Sending to the legacy server {} failed: {}", server, error.toString());
            ws.abort();
            onEnd.accept("send failed: " + error);
            return;
        }
        List<Runnable> wake = new ArrayList<>();
        synchronized (lock) {
            sending = false;
            for (LegacyExchange x : active) {
                if (x.writable != null && creditFor(x) > 0) {
                    wake.add(x.writable);
                    x.writable = null;
                }
            }
        }
        for (Runnable r : wake) {
            r.run();
        }
        pump();
    }

    void execute(Runnable r) {
        try {
            scheduler.execute(r);
        } catch (RejectedExecutionException e) {
            r.run();
        }
    }

    // ------------------------------------------------------------------ keep-alive and life cycle

    private void touch() {
        lastAliveNanos = System.nanoTime();
    }

    private void keepAliveTick() {
        boolean paused;
        synchronized (lock) {
            if (closed) {
                return;
            }
            paused = readPaused;
        }
        long idle = System.nanoTime() - lastAliveNanos;
        if (idle > config.timeout().toNanos() && !paused) {
            log.warn("No pong from {} for {} ms: tunnel is dead, reconnecting", server, TimeUnit.NANOSECONDS.toMillis(idle));
            ws.abort();
            onEnd.accept("no pong for " + config.timeout().toSeconds() + " s");
            return;
        }
        if (pingInFlight.compareAndSet(false, true)) {
            try {
                ws.sendPing(ByteBuffer.allocate(0)).whenComplete((w, e) -> pingInFlight.set(false));
            } catch (RuntimeException e) {
                pingInFlight.set(false);
            }
        }
    }

    /** Graceful stop: new requests get 503, in-flight ones get {@code grace}, then the socket closes. */
    public void shutdown(Duration grace) {
        boolean now;
        synchronized (lock) {
            if (closed || draining) {
                return;
            }
            draining = true;
            now = active.isEmpty();
            if (!now) {
                try {
                    timers.add(scheduler.schedule(this::graceExpired, Math.max(0, grace.toMillis()), TimeUnit.MILLISECONDS));
                } catch (RejectedExecutionException e) {
                    now = true;
                }
            }
        }
        if (now) {
            closeNow();
        }
    }

    private void graceExpired() {
        List<LegacyExchange> left;
        synchronized (lock) {
            left = new ArrayList<>(active);
        }
        log.warn("Shutdown grace expired with {} legacy request(s) in flight: cancelling them", left.size());
        resetAll(left, "agent shutting down");
        closeNow();
    }

    private void closeNow() {
        synchronized (lock) {
            if (closed || closing) {
                return;
            }
            closing = true;
            try {
                timers.add(scheduler.schedule(() -> {
                    ws.abort();
                    onEnd.accept("close timeout");
                }, CLOSE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            } catch (RejectedExecutionException e) {
                // agent stopping: its own shutdown aborts the socket
            }
        }
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").whenComplete((w, e) -> {
            if (e != null) {
                ws.abort();
                onEnd.accept("close failed");
            }
        });
    }

    /** The owning session ended (socket gone or aborted): stop every local exchange. Idempotent. */
    public void terminated() {
        List<LegacyExchange> left;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            timers.forEach(t -> t.cancel(false));
            timers.clear();
            left = new ArrayList<>(active);
            active.clear();
            ready.clear();
            owner = null;
        }
        resetAll(left, "tunnel closed");
    }

    private void resetAll(List<LegacyExchange> list, String why) {
        for (LegacyExchange x : list) {
            StreamHandler h = x.handler;
            if (h != null) {
                try {
                    h.onReset(ErrorCode.CANCEL, why);
                } catch (RuntimeException e) {
                    log.debug("Legacy request {}: reset failed: {}", x.id(), e.toString());
                }
            }
        }
    }

    /** Requests in flight (tests and statistics). */
    public int activeExchanges() {
        synchronized (lock) {
            return active.size();
        }
    }
}
