package io.wstunnel.cli.tunnel;

import java.time.Duration;
import java.util.function.LongUnaryOperator;

/**
 * Exponential reconnect backoff with full jitter: the n-th consecutive failure waits a uniform
 * random time in [floor, min(cap, base * 2^n)]. Not thread-safe: owned by the connector's lock.
 */
final class Backoff {
    private static final long FLOOR_MILLIS = 100;
    private final long baseMillis;
    private final long capMillis;
    private final LongUnaryOperator random; // bound -> uniform value in [0, bound)
    private int attempt;

    Backoff(Duration base, Duration cap, LongUnaryOperator random) {
        this.baseMillis = Math.max(1, base.toMillis());
        this.capMillis = Math.max(this.baseMillis, cap.toMillis());
        this.random = random;
    }

    long nextDelayMillis() {
        long ceiling = attempt >= 30 ? capMillis : Math.min(capMillis, baseMillis << attempt);
        attempt++;
        return Math.max(FLOOR_MILLIS, random.applyAsLong(ceiling + 1));
    }

    void reset() {
        attempt = 0;
    }
}
