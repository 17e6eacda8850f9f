package io.wstunnel.protocol;

/**
 * Round-trip time of one tunnel socket, from its keep-alive pings: smoothed as TCP does
 * (7/8 old + 1/8 new). At most one ping is timed at a time; a pong with no timed ping outstanding
 * (unsolicited, or answering an untimed ping) is ignored. Thread-safe.
 */
public final class RttEstimator {
    private long pingSentNanos = -1;
    private long smoothedNanos;

    /** A ping went out at {@code now}; ignored while another timed ping is outstanding. */
    public synchronized void pingSent(long now) {
        if (pingSentNanos < 0) {
            pingSentNanos = now;
        }
    }

    /** A pong arrived at {@code now}. */
    public synchronized void pongReceived(long now) {
        if (pingSentNanos < 0) {
            return;
        }
        long sample = Math.max(1, now - pingSentNanos);
        pingSentNanos = -1;
        smoothedNanos = smoothedNanos == 0 ? sample : (7 * smoothedNanos + sample) / 8;
    }

    /** Smoothed round-trip time in nanoseconds, or 0 while no ping has been answered. */
    public synchronized long nanos() {
        return smoothedNanos;
    }
}
