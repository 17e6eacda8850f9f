package io.wstunnel.srv.admin;

/**
 * What the request path and the agent endpoint tell the operator side (statistics, metrics, audit
 * log, event stream). Every method may be called from any thread, including IO threads: implementations
 * must be quick and must never block. The defaults do nothing.
 */
public interface ServerEvents {
    ServerEvents NONE = new ServerEvents() {
    };

    /** A tunnelled request was accepted for routing. */
    default void requestStarted(RequestInfo r) {
    }

    /** {@code n} bytes of request body were read from the caller (and handed to the agent). */
    default void requestBytesIn(RequestInfo r, long n) {
    }

    /** {@code n} bytes of response body were written to the caller. */
    default void requestBytesOut(RequestInfo r, long n) {
    }

    /** The request ended with this status (499 = caller went away). Called once per started request. */
    default void requestCompleted(RequestInfo r, int status, long bytesIn, long bytesOut, long millis) {
    }

    /**
     * A request was refused by the tunnel layer ({@code reason}: queue_full, timeout) — it still
     * completes through {@link #requestCompleted}.
     */
    default void requestRejected(RequestInfo r, String reason) {
    }

    /**
     * A caller was refused before it became a tunnelled request (unknown token, missing token, blocked
     * token, shutting down). {@code token} may be null and is never logged in full.
     */
    default void callerRefused(String token, String remote, int status, String reason) {
    }

    /** The 403 text for a request or an agent of a {@linkplain #tokenBlocked blocked} token. */
    String BLOCKED_TEXT = "Tunnel token blocked by the server administrator";

    /** True if requests and agents of this token must be refused (403, {@link #BLOCKED_TEXT}). */
    default boolean tokenBlocked(String token) {
        return false;
    }
}
