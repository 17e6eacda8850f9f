package io.wstunnel.srv.admin;

import io.wstunnel.srv.tunnel.TokenRegistry;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request counters, server-wide and per token ({@link TokenStats}, created on first use and numbered
 * in that order), and the set of requests in flight. Lock-free: each counter is current, but a reader
 * does not see one consistent cut across them.
 */
final class TrafficStats {
    private final AtomicLong tokenSeq = new AtomicLong();
    final ConcurrentHashMap<String, TokenStats> tokens = new ConcurrentHashMap<>();
    final Set<RequestInfo> active = ConcurrentHashMap.newKeySet();
    final LongAdder completed = new LongAdder();
    final LongAdder errored = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    final ConcurrentHashMap<String, LongAdder> rejects = new ConcurrentHashMap<>();

    TokenStats stats(String token) {
        return tokens.computeIfAbsent(token, t -> new TokenStats(tokenSeq.incrementAndGet(), t));
    }

    void started(RequestInfo r) {
        active.add(r);
        stats(r.tunnel().token()).inFlight.incrementAndGet();
    }

    void bytesIn(RequestInfo r, long n) {
        r.bytesIn.addAndGet(n);
        bytesIn.add(n);
        stats(r.tunnel().token()).bytesIn.add(n);
    }

    void bytesOut(RequestInfo r, long n) {
        r.bytesOut.addAndGet(n);
        bytesOut.add(n);
        stats(r.tunnel().token()).bytesOut.add(n);
    }

    /**
     * Counts a finished request once: 2xx/3xx as completed, and 101 (a byte stream that was established),
     * the rest as errored.
     */
    TokenStats completed(RequestInfo r, int status) {
        if (!active.remove(r)) {
            return null;
        }
        TokenStats ts = stats(r.tunnel().token());
        ts.inFlight.decrementAndGet();
        Instant now = Instant.now();
        if (status == 101 || status >= 200 && status < 400) {
            completed.increment();
            ts.completed.increment();
            ts.lastSuccessTime = now;
            ts.lastSuccessAddr = r.callerAddress();
        } else {
            errored.increment();
            ts.errored.increment();
            ts.lastErrorTime = now;
            ts.lastErrorAddr = r.callerAddress();
        }
        return ts;
    }

    /** Counts a refusal server-wide and, if the token has stats already, for the token. */
    void reject(String reason, String token) {
        rejects.computeIfAbsent(reason, k -> new LongAdder()).increment();
        if (token != null) {
            TokenStats ts = tokens.get(token);
            if (ts != null) {
                ts.rejects.computeIfAbsent(reason, k -> new LongAdder()).increment();
            }
        }
    }

    /** Drops statistics of tokens the registry forgot and that have nothing in flight. */
    void prune(TokenRegistry registry) {
        if (tokens.size() <= registry.all().size()) {
            return;
        }
        Set<String> known = ConcurrentHashMap.newKeySet();
        registry.all().forEach(t -> known.add(t.token()));
        tokens.entrySet().removeIf(e -> !known.contains(e.getKey()) && e.getValue().inFlight.get() == 0);
    }
}
