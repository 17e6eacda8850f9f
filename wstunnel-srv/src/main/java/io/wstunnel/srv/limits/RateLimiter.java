package io.wstunnel.srv.limits;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

/** Request rate per token: one {@link TokenBucket} per token, forgotten when the token is quiet. */
public final class RateLimiter {
    private final double rate;
    private final int burst;
    private final Cache<String, TokenBucket> buckets;

    public RateLimiter(double requestsPerSecond, int burst) {
        this.rate = requestsPerSecond;
        this.burst = burst;
        // A bucket idle for longer than it takes to refill completely is full again: forgetting it is exact.
        long refillMs = rate <= 0 ? 1000 : (long) Math.ceil(burst / rate * 1000) + 1000;
        this.buckets = Caffeine.newBuilder().expireAfterAccess(Duration.ofMillis(Math.max(1000, refillMs)))
                .maximumSize(1_000_000).build();
    }

    public boolean enabled() {
        return rate > 0;
    }

    /** @return 0 if the request may go on, else the whole seconds the caller should wait (Retry-After) */
    public long acquire(String token) {
        if (rate <= 0) {
            return 0;
        }
        long waitNanos = buckets.get(token, t -> new TokenBucket(rate, burst)).tryAcquire();
        return waitNanos == 0 ? 0 : Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
    }
}
