package io.wstunnel.srv.agent;

import io.wstunnel.protocol.RttEstimator;
import io.wstunnel.srv.ws.RawWebSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keep-alive of a {@link V2Session}'s socket: a ping every third of the WebSocket timeout, the
 * round-trip time those pings measure (window auto-tuning), and the dead-peer check, which only
 * aborts the socket (the session fails its streams from the close listener).
 *
 * <p>It holds no session state and takes no lock of its own: receipt times are a volatile written
 * on the socket's IO thread, the estimator synchronizes itself, and whether the session is closed
 * is asked of the session. It logs under the session's logger.
 */
final class KeepAlive {
    private static final Logger log = LoggerFactory.getLogger(V2Session.class);

    private final V2Session session;
    private final RawWebSocket socket;
    private final Duration wsTimeout;
    private final RttEstimator rtt = new RttEstimator();
    private volatile long lastReceivedNanos = System.nanoTime();

    KeepAlive(V2Session session, RawWebSocket socket, Duration wsTimeout) {
        this.session = session;
        this.socket = socket;
        this.wsTimeout = wsTimeout;
    }

    /** Sends a first ping (a round-trip time before the keep-alive period) and schedules the next. */
    void start() {
        ping();
        schedule();
    }

    /** Anything arrived from the peer (IO thread). */
    void received() {
        lastReceivedNanos = System.nanoTime();
    }

    /** A pong arrived (IO thread): the peer is alive and a round trip is measured. */
    void pongReceived() {
        lastReceivedNanos = System.nanoTime();
        rtt.pongReceived(lastReceivedNanos);
    }

    /** {@link System#nanoTime} when anything last arrived from the peer. */
    long lastReceivedNanos() {
        return lastReceivedNanos;
    }

    /** Smoothed round-trip time of this socket (keep-alive pings), 0 while unknown. */
    long rttNanos() {
        return rtt.nanos();
    }

    private void ping() {
        rtt.pingSent(System.nanoTime());
        socket.ping();
    }

    private void schedule() {
        long periodMs = Math.max(1000, wsTimeout.toMillis() / 3);
        socket.schedule(() -> {
            if (session.isClosed()) {
                return;
            }
            long silentMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastReceivedNanos);
            if (silentMs > wsTimeout.toMillis()) {
                log.warn("tunnel {} agent {}: nothing received for {} ms, closing as dead", session.tokenId(),
                        session.remoteAddress(), silentMs);
                socket.abort("dead peer"); // closed() follows from the close listener
                return;
            }
            ping();
            schedule();
        }, periodMs);
    }
}
