package io.wstunnel.srv.legacy;

import io.wstunnel.protocol.legacy.LegacyIds;
import io.wstunnel.srv.tunnel.Tunnel;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Legacy request ids are counted per token (1 .. 31999, then 0) and kept across reconnects of that
 * token, like the Go server. The counter lives as long as the token's {@link Tunnel}: keyed weakly,
 * so a forgotten token starts again at 1.
 */
final class LegacyIdCounters {
    private static final Map<Tunnel, int[]> COUNTERS = new WeakHashMap<>();

    private LegacyIdCounters() {
    }

    /** @return the token's next id */
    static int next(Tunnel tunnel) {
        synchronized (COUNTERS) {
            int[] c = COUNTERS.computeIfAbsent(tunnel, t -> new int[] {0});
            c[0] = LegacyIds.next(c[0]);
            return c[0];
        }
    }
}
