package io.wstunnel.srv.tunnel;

/** One connected agent socket, whatever its framing. Thread-safe. */
public interface AgentConnection {
    /**
     * Opens a stream for the request if this agent can take one now, and then calls
     * {@link CallerStream#onOpened}. Never blocks.
     *
     * @return false if the agent is not accepting streams or is at its stream limit
     */
    boolean tryOpen(CallerStream caller);

    /** Whether this connection can carry streams of {@code kind} at all (legacy agents: HTTP only). */
    default boolean supports(io.wstunnel.protocol.StreamKind kind) {
        return kind == io.wstunnel.protocol.StreamKind.HTTP;
    }

    /** Streams in flight, for least-loaded dispatch. */
    int load();

    /** True while new streams may be opened on it. */
    boolean accepting();

    String remoteAddress();

    /**
     * {@link System#nanoTime} when anything (a ping, a response, any frame) last arrived from this
     * agent: agent activity, which alone keeps a token alive (see {@link Tunnel#idleNanos}).
     */
    long lastSeenNanos();

    String clientVersion();

    /** Asks the agent to finish: no new streams, close with 1001 once idle or after the deadline. */
    void goAway(String reason);

    /** Closes the socket now. */
    void abort(String reason);
}
