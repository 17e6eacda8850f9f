package io.wstunnel.srv.limits;

/**
 * A thread-safe token bucket: {@code capacity} tokens, refilled at {@code ratePerSecond}. Time comes
 * from {@link System#nanoTime()} unless a clock is given (tests).
 */
public final class TokenBucket {
    /** Nanosecond clock. */
    public interface Clock {
        long nanos();
    }

    private final double ratePerNano;
    private final double capacity;
    private final Clock clock;
    private double tokens;
    private long last;

    public TokenBucket(double ratePerSecond, double capacity) {
        this(ratePerSecond, capacity, System::nanoTime);
    }

    public TokenBucket(double ratePerSecond, double capacity, Clock clock) {
        if (ratePerSecond <= 0 || capacity < 1) {
            throw new IllegalArgumentException("rate must be positive and capacity at least 1");
        }
        this.ratePerNano = ratePerSecond / 1e9;
        this.capacity = capacity;
        this.clock = clock;
        this.tokens = capacity;
        this.last = clock.nanos();
    }

    /** @return 0 if a token was taken, else the nanoseconds until one will be available */
    public synchronized long tryAcquire() {
        long now = clock.nanos();
        tokens = Math.min(capacity, tokens + (now - last) * ratePerNano);
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) / ratePerNano));
    }
}
