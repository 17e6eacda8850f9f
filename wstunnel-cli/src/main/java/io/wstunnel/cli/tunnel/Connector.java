package io.wstunnel.cli.tunnel;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.net.DialFailure;
import io.wstunnel.cli.net.TunnelDialer;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one tunnel session alive: dial, and after every end of a session redial with backoff,
 * until {@link #stop}. Invariant (guarded by {@code this}): at most one current session; a
 * reconnect is scheduled only from the current session's {@code closed} event.
 */
public final class Connector implements TunnelSession.Events {
    private static final Logger log = LoggerFactory.getLogger(Connector.class);

    private final AgentConfig config;
    private final TunnelDialer dialer;
    private final StreamHandlerFactory factory;
    private final ScheduledExecutorService scheduler;
    private final Backoff backoff;
    private final String server;

    // guarded by this
    private TunnelSession current;
    private boolean connected;
    private boolean stopping;
    private ScheduledFuture<?> redial;

    public Connector(AgentConfig config, TunnelDialer dialer, StreamHandlerFactory factory, ScheduledExecutorService scheduler) {
        this.config = config;
        this.dialer = dialer;
        this.factory = factory;
        this.scheduler = scheduler;
        this.backoff = new Backoff(Duration.ofSeconds(1), config.maxBackoff(),
                bound -> ThreadLocalRandom.current().nextLong(bound));
        this.server = dialer.uri().toString();
    }

    public void start() {
        scheduler.execute(this::dial);
    }

    private void dial() {
        TunnelSession session;
        synchronized (this) {
            redial = null;
            if (stopping || current != null) {
                return;
            }
            session = new TunnelSession(config, factory, scheduler, this, server);
            current = session;
        }
        log.debug("Dialing {}", server);
        CompletableFuture<?> handshake;
        try {
            handshake = dialer.dial(session.listener());
        } catch (RuntimeException e) {
            handshake = CompletableFuture.failedFuture(e);
        }
        handshake.whenComplete((ws, err) -> {
            if (err == null) {
                return;
            }
            Throwable cause = unwrap(err);
            if (DialFailure.needsProbe(cause)) {
                // the JDK gave no reason: a plain connect finds it (blocking, so off the client's threads)
                Thread t = new Thread(() -> {
                    logDialFailure(cause);
                    session.dialFailed();
                }, "wstunnel-dial-probe");
                t.setDaemon(true);
                t.start();
            } else {
                logDialFailure(cause);
                session.dialFailed();
            }
        });
    }

    /** One WARN line, no stack trace: the refusal's status and body, or why the connection failed. */
    private void logDialFailure(Throwable err) {
        if (err instanceof WebSocketHandshakeException h && h.getResponse() != null) {
            Object body = h.getResponse().body();
            log.warn("Tunnel handshake refused by {}: HTTP {}{}", server, h.getResponse().statusCode(),
                    body instanceof String s && !s.isBlank() ? " " + s.strip() : "");
        } else if (err instanceof TimeoutException || err instanceof java.net.http.HttpTimeoutException) {
            log.warn("Cannot connect to {}: timed out after {} ms", server, config.dialTimeout().toMillis());
        } else {
            log.warn("Cannot connect to {}: {}", server,
                    DialFailure.describe(err, dialer.firstHop(), dialer.proxied(), config.dialTimeout()));
        }
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public void ready(TunnelSession session) {
        synchronized (this) {
            if (session != current) {
                return;
            }
            connected = true;
            backoff.reset();
            notifyAll();
        }
    }

    @Override
    public void closed(TunnelSession session, boolean wasReady) {
        synchronized (this) {
            if (session != current) {
                return;
            }
            current = null;
            connected = false;
            if (wasReady) {
                backoff.reset();
            }
            if (stopping) {
                notifyAll();
                return;
            }
            long delay = backoff.nextDelayMillis();
            log.info("Reconnecting to {} in {} ms", server, delay);
            redial = scheduler.schedule(this::dial, delay, TimeUnit.MILLISECONDS);
        }
    }

    public synchronized boolean isConnected() {
        return connected;
    }

    public synchronized boolean awaitConnected(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!connected) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** Stops reconnecting and drains the current session within {@code grace}; waits for it to end. */
    public void stop(Duration grace) {
        TunnelSession session;
        synchronized (this) {
            stopping = true;
            if (redial != null) {
                redial.cancel(false);
                redial = null;
            }
            session = current;
        }
        if (session == null) {
            return;
        }
        try {
            session.shutdown(grace).get(grace.toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            session.abort("interrupted during stop");
        } catch (ExecutionException | TimeoutException e) {
            session.abort("stop timed out");
        }
    }
}
