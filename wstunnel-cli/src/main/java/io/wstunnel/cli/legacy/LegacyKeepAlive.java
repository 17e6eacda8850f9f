package io.wstunnel.cli.legacy;

import static io.wstunnel.cli.legacy.LegacyAgentSession.log;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.tunnel.StatusFile;
import java.io.IOException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Legacy keep-alive (LEGACY.md §3): the agent pings at once and every {@code timeout/3} (at most one
 * of ours in flight); no pong (nor other traffic) for {@code timeout} ends the socket, unless
 * reading is paused; every pong rewrites {@code -statusfile}. Lock-free: the session says whether
 * it is over or paused.
 */
final class LegacyKeepAlive {
    private final LegacyAgentSession session;
    private final AgentConfig config;
    private final WebSocket ws;
    private final String server;
    private final AtomicBoolean pingInFlight = new AtomicBoolean();
    private volatile long lastAliveNanos = System.nanoTime();

    LegacyKeepAlive(LegacyAgentSession session, AgentConfig config, WebSocket ws, String server) {
        this.session = session;
        this.config = config;
        this.ws = ws;
        this.server = server;
    }

    long periodMillis() {
        return Math.max(50, config.timeout().toMillis() / 3);
    }

    /** Something arrived from the server. */
    void touch() {
        lastAliveNanos = System.nanoTime();
    }

    void pong() {
        touch();
        if (config.statusFile() != null) {
            session.execute(() -> {
                try {
                    StatusFile.write(config.statusFile(), Instant.now(), ZoneId.systemDefault());
                } catch (IOException | RuntimeException e) {
                    log.warn("Cannot write status file {}: {}", config.statusFile(), e.toString());
                }
            });
        }
    }

    /** One period elapsed on a live session: declare the socket dead (never while reading is paused), or ping. */
    void tick(boolean readPaused) {
        long idle = System.nanoTime() - lastAliveNanos;
        if (idle > config.timeout().toNanos() && !readPaused) {
            log.warn("No pong from {} for {} ms: tunnel is dead, reconnecting", server, TimeUnit.NANOSECONDS.toMillis(idle));
            session.drop("no pong for " + config.timeout().toSeconds() + " s");
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
}
