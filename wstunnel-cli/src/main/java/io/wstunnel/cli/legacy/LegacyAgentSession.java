package io.wstunnel.cli.legacy;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.tunnel.KeepAlive;
import io.wstunnel.cli.tunnel.StreamHandler;
import io.wstunnel.cli.tunnel.StreamHandlerFactory;
import io.wstunnel.protocol.ErrorCode;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tunnel socket speaking the Go wstunnel framing (LEGACY.md §1–§3), agent side: the exchanges
 * in flight, request-body accounting, drain, close and end.
 *
 * <ul>
 *   <li>Inbound: the {@link LegacyReceiver} parses each request message and starts its exchange.
 *       Reading pauses ({@code ws.request} withheld) while more than {@link #READ_PAUSE_BYTES} of
 *       request body wait for local services.</li>
 *   <li>Outbound: the {@link LegacySender} sends one response message at a time, in fragments;
 *       local reads stop while an exchange has no credit.</li>
 *   <li>Keep-alive: {@link KeepAlive}, ticking at once and every {@code timeout/3}.</li>
 * </ul>
 *
 * <p>Locking: {@link #lock} guards the state below, the sender's and the exchanges'; handlers,
 * relays and the WebSocket are never called while holding it.
 */
public final class LegacyAgentSession {
    static final Logger log = LoggerFactory.getLogger(LegacyAgentSession.class);
    /** Request body bytes handed to local services and not yet taken by them, above which reading pauses. */
    static final long READ_PAUSE_BYTES = 1024 * 1024;
    private static final long CLOSE_TIMEOUT_MILLIS = 3000;

    final Object lock = new Object();
    final LegacySender sender;
    private final ScheduledExecutorService scheduler;
    private final WebSocket ws;
    private final Consumer<String> onEnd;
    private final KeepAlive keepAlive;
    private final LegacyReceiver receiver;

    // guarded by lock
    private final Set<LegacyExchange> active = new LinkedHashSet<>();
    private final List<ScheduledFuture<?>> timers = new ArrayList<>();
    private long unconsumed;
    private boolean readPaused;
    private boolean draining;
    private boolean closing;
    private boolean closed;

    /**
     * @param onEnd called (possibly more than once) when the socket is over; the owner then calls {@link #terminated}
     */
    public LegacyAgentSession(AgentConfig config, StreamHandlerFactory factory, ScheduledExecutorService scheduler,
            WebSocket ws, String server, Consumer<String> onEnd) {
        this.scheduler = scheduler;
        this.ws = ws;
        this.onEnd = onEnd;
        this.sender = new LegacySender(this, ws, server, config.maxQueuedBytes());
        this.keepAlive = new KeepAlive(config, this::execute, server, why -> drop("no pong for " + config.timeout().toSeconds() + " s"));
        this.receiver = new LegacyReceiver(this, factory, keepAlive, server);
    }

    /** The socket's listener (reader thread). */
    public WebSocket.Listener listener() {
        return receiver;
    }

    /** The socket is open: keep-alive starts. */
    void opened() {
        synchronized (lock) {
            try {
                // The Go agent pings at once, then every timeout/3; the Go server drops agents that do not ping.
                timers.add(scheduler.scheduleAtFixedRate(this::keepAliveTick, 0, keepAlive.periodMillis(), TimeUnit.MILLISECONDS));
            } catch (RejectedExecutionException e) {
                // agent stopping
            }
        }
    }

    /** Drops the socket; the owner ends the session. */
    void drop(String why) {
        ws.abort();
        onEnd.accept(why);
    }

    /** Caller holds the lock. */
    boolean closedLocked() {
        return closed;
    }

    /** Caller holds the lock. */
    Set<LegacyExchange> activeLocked() {
        return active;
    }

    /** @return false when the session is over (the exchange is not taken) */
    boolean register(LegacyExchange x) {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            active.add(x);
            return true;
        }
    }

    boolean draining() {
        synchronized (lock) {
            return draining;
        }
    }

    // ------------------------------------------------------------------ request body accounting

    /** {@code n} bytes of request body go to {@code x}'s handler. @return false: drop them (exchange or session over) */
    boolean bodyHandedOut(LegacyExchange x, int n) {
        synchronized (lock) {
            if (x.done || closed) {
                return false;
            }
            x.requestBodyUnconsumed += n;
            unconsumed += n;
            return true;
        }
    }

    /** After each message part: whether to read on; if not, reading pauses until bodies are consumed. */
    boolean readOn() {
        synchronized (lock) {
            boolean more = !closed && unconsumed <= READ_PAUSE_BYTES;
            readPaused = !more && !closed;
            return more;
        }
    }

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

    /** The exchange is over on the tunnel side. Caller holds the lock. @return whether reading may resume */
    boolean finishLocked(LegacyExchange x) {
        x.done = true;
        x.writable = null;
        active.remove(x);
        sender.forgetLocked(x);
        unconsumed -= x.requestBodyUnconsumed;
        x.requestBodyUnconsumed = 0;
        if (draining && active.isEmpty()) {
            execute(this::closeNow);
        }
        return resumeLocked();
    }

    void execute(Runnable r) {
        try {
            scheduler.execute(r);
        } catch (RejectedExecutionException e) {
            r.run();
        }
    }

    // ------------------------------------------------------------------ keep-alive and life cycle

    private void keepAliveTick() {
        boolean paused;
        synchronized (lock) {
            if (closed) {
                return;
            }
            paused = readPaused;
        }
        keepAlive.tick(ws, paused);
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
                timers.add(scheduler.schedule(() -> drop("close timeout"), CLOSE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            } catch (RejectedExecutionException e) {
                // agent stopping: its own shutdown aborts the socket
            }
        }
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").whenComplete((w, e) -> {
            if (e != null) {
                drop("close failed");
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
            sender.clearLocked();
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
