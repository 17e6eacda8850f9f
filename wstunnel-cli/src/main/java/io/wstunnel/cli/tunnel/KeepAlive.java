package io.wstunnel.cli.tunnel;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.protocol.RttEstimator;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Liveness of one tunnel socket (PROTOCOL.md §6; the legacy framing's LEGACY.md §3 is the same): a
 * ping every {@code timeout/3} (the JDK client sends none by itself; at most one of ours in flight),
 * and the socket is dead when nothing at all (frame, ping, pong) arrived for {@code timeout}. Every
 * pong also refreshes the -statusfile, and the pings time the socket's round trip (window
 * auto-tuning, PROTOCOL.md §3.6.1). Lock-free.
 */
public final class KeepAlive {
    private static final Logger log = LoggerFactory.getLogger(KeepAlive.class);

    private final AgentConfig config;
    private final Executor io;
    private final String server;
    private final Consumer<String> onDead;
    private final AtomicBoolean pingInFlight = new AtomicBoolean();
    private volatile long lastReceivedNanos = System.nanoTime();
    private final RttEstimator rtt = new RttEstimator();
    private final StatusFile statusFile;

    /** @param io runs status-file writes, off the WebSocket's reader thread */
    public KeepAlive(AgentConfig config, Executor io, String server, Consumer<String> onDead) {
        this.config = config;
        this.io = io;
        this.server = server;
        this.onDead = onDead;
        this.statusFile = config.statusFile() == null ? null : StatusFile.at(config.statusFile());
    }

    public long periodMillis() {
        return Math.max(50, config.timeout().toMillis() / 3);
    }

    /** Something arrived from the server. */
    public void touch() {
        lastReceivedNanos = System.nanoTime();
    }

    /** Smoothed round-trip time of the socket, 0 while no ping has been answered. */
    long rttNanos() {
        return rtt.nanos();
    }

    public void pong() {
        touch();
        rtt.pongReceived(lastReceivedNanos);
        StatusFile f = statusFile;
        if (f == null) {
            return;
        }
        try {
            io.execute(() -> f.update(Instant.now(), ZoneId.systemDefault()));
        } catch (RejectedExecutionException e) {
            // agent stopping
        }
    }

    /** One period elapsed: declare the socket dead, or ping it; {@code socket} null: the session is over. */
    void tick(WebSocket socket) {
        tick(socket, false);
    }

    /**
     * As {@link #tick(WebSocket)}; while {@code readPaused} (we stopped reading, so nothing can
     * arrive) the socket is never declared dead.
     */
    public void tick(WebSocket socket, boolean readPaused) {
        if (socket == null) {
            return;
        }
        long idle = System.nanoTime() - lastReceivedNanos;
        if (idle > config.timeout().toNanos() && !readPaused) {
            log.warn("Nothing received from {} for {} ms: tunnel is dead, reconnecting", server,
                    TimeUnit.NANOSECONDS.toMillis(idle));
            onDead.accept("dead peer");
            return;
        }
        ping(socket);
    }

    /** Sends a ping unless one of ours is still being written. */
    void ping(WebSocket socket) {
        if (pingInFlight.compareAndSet(false, true)) {
            try {
                rtt.pingSent(System.nanoTime());
                socket.sendPing(ByteBuffer.allocate(0)).whenComplete((w, e) -> pingInFlight.set(false));
            } catch (RuntimeException e) {
                pingInFlight.set(false);
            }
        }
    }
}
