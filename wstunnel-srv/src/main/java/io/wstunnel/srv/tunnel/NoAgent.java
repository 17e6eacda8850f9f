package io.wstunnel.srv.tunnel;

import java.time.Duration;

/**
 * The answer to a request for a token whose agents are gone (no agent for longer than the reconnect
 * grace, see {@link Tunnel#agentGone()}): what a proxy answers when no upstream is available, a
 * 503 with {@code Retry-After}, instead of letting the caller wait out {@code -httptimeout}.
 */
public final class NoAgent {
    public static final int STATUS = 503;
    /** About the agent's longest reconnect backoff: a returning agent is back within it. */
    public static final long RETRY_AFTER_SECONDS = 30;
    /** Every body of this answer starts with this (and only this answer's bodies do). */
    public static final String PREFIX = "No agent connected to this tunnel";

    private NoAgent() {
    }

    /** The plain-text body, e.g. "No agent connected to this tunnel for over 60 s". */
    public static String text(Duration grace) {
        long ms = grace.toMillis();
        return PREFIX + " for over " + (ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms");
    }

    /** True for a plain-text answer that is this one (it then carries {@code Retry-After}). */
    public static boolean is(int status, String text) {
        return status == STATUS && text.startsWith(PREFIX);
    }
}
