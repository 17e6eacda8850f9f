package io.wstunnel.srv.admin;

import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Counters of one token since it was first seen (or since start). */
final class TokenStats {
    final long seq;
    final String tokenId;
    final String cut;
    final LongAdder completed = new LongAdder();
    final LongAdder errored = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicLong connects = new AtomicLong();
    final ConcurrentHashMap<String, LongAdder> rejects = new ConcurrentHashMap<>();
    volatile String lastAgentAddress = "";
    volatile String lastClientVersion = "";
    volatile Instant lastErrorTime;
    volatile String lastErrorAddr;
    volatile Instant lastSuccessTime;
    volatile String lastSuccessAddr;

    TokenStats(long seq, String token) {
        this.seq = seq;
        this.tokenId = TokenIds.id(token);
        this.cut = TokenIds.cut(token);
    }
}
