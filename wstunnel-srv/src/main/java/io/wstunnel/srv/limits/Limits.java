package io.wstunnel.srv.limits;

import java.time.Duration;
import java.util.Objects;

/**
 * What the server refuses to let one caller, token or agent take from the others. Immutable; every
 * value has a secure default ({@link #DEFAULT}) and "0" means "no limit" where noted.
 *
 * @param maxHeaderBytes           request line plus header fields, bytes (431 beyond)
 * @param maxUriLength             request target (path and query), characters (414 beyond)
 * @param maxBodyBytes             request body per request, every token alike; 0 = unlimited (413 beyond)
 * @param requestsPerSecond        sustained requests per second per token; 0 = unlimited (429 beyond)
 * @param requestBurst             requests a token may send at once before the rate applies
 * @param maxConnectionsPerAddress open connections per client IP address; 0 = unlimited (429, then close)
 * @param idleTimeout              a keep-alive connection with no request for this long is closed
 * @param requestParseTimeout      the whole request head must arrive within this (slowloris)
 * @param readTimeout              a caller that sends nothing for this long while the server waits for
 *                                 request bytes is disconnected (slow body); never applied while the server
 *                                 is only writing a response. Raised to the agent keep-alive timeout, as it
 *                                 also covers upgraded agent sockets.
 * @param maxTunnels               tokens the server knows at once; 0 = unlimited (503 to a new token beyond)
 * @param maxStreamsPerAgent       concurrent streams the server opens on one agent socket, in addition to
 *                                 the agent's own MAX_CONCURRENT_STREAMS (requests queue beyond)
 * @param agentHelloTimeout        an agent socket that sends no HELLO for this long is closed (1008)
 * @param agentControlFramesPerSecond non-DATA frames, pings, empty DATA without END_STREAM and frames for unknown streams an agent may send
 *                                 per second (burst: 10 s worth); beyond, its socket is closed (1008)
 * @param maxStreamWindow          largest receive window one stream from an agent may grow to by auto-tuning
 *                                 (PROTOCOL.md §3.6.1); at or below INITIAL_WINDOW (-stream-window) windows
 *                                 never grow. Growth on one agent socket is at most twice this in total.
 */
public record Limits(
        int maxHeaderBytes,
        int maxUriLength,
        long maxBodyBytes,
        double requestsPerSecond,
        int requestBurst,
        int maxConnectionsPerAddress,
        Duration idleTimeout,
        Duration requestParseTimeout,
        Duration readTimeout,
        int maxTunnels,
        int maxStreamsPerAgent,
        Duration agentHelloTimeout,
        int agentControlFramesPerSecond,
        int maxStreamWindow) {

    /** Smallest accepted header limit: real browsers send 1-8 KiB. */
    public static final int MIN_HEADER_BYTES = 1024;
    public static final int MIN_URI_LENGTH = 256;

    public static final Limits DEFAULT = new Limits(
            32 * 1024, 8 * 1024, 0, 0, 100, 256,
            Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(60),
            10_000, 256, Duration.ofSeconds(10), 2_000, 8 * 1024 * 1024);

    public Limits {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(requestParseTimeout, "requestParseTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(agentHelloTimeout, "agentHelloTimeout");
        require(maxHeaderBytes >= MIN_HEADER_BYTES, "max header bytes must be at least " + MIN_HEADER_BYTES);
        require(maxUriLength >= MIN_URI_LENGTH, "max URI length must be at least " + MIN_URI_LENGTH);
        require(maxBodyBytes >= 0, "max body bytes must be 0 (unlimited) or more");
        require(requestsPerSecond >= 0 && !Double.isNaN(requestsPerSecond), "requests per second must be 0 (unlimited) or more");
        require(requestBurst >= 1, "request burst must be at least 1");
        require(maxConnectionsPerAddress >= 0, "max connections per address must be 0 (unlimited) or more");
        require(positive(idleTimeout) && positive(requestParseTimeout) && positive(readTimeout)
                && positive(agentHelloTimeout), "timeouts must be positive");
        require(maxTunnels >= 0, "max tunnels must be 0 (unlimited) or more");
        require(maxStreamsPerAgent >= 1, "max streams per agent must be at least 1");
        require(agentControlFramesPerSecond >= 1, "agent control frames per second must be at least 1");
        require(maxStreamWindow >= 1, "max stream window must be at least 1");
    }

    /** Receive-window growth all streams of one agent socket may share (PROTOCOL.md §3.6.1). */
    public long agentWindowBudget() {
        return io.wstunnel.protocol.WindowBudget.bytesFor(maxStreamWindow);
    }

    private static boolean positive(Duration d) {
        return !d.isNegative() && !d.isZero();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * Undertow's own cap on a request head. Heads between {@link #maxHeaderBytes} and this get a 431
     * with a plain-text reason from {@link CallerGate}; heads beyond it are cut by Undertow's parser
     * (bare 400, connection closed) so that no connection can make the server buffer more.
     */
    public int parserHeaderBackstop() {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(4L * maxHeaderBytes, maxHeaderBytes + 16L * 1024));
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public static Builder builder() {
        return new Builder(DEFAULT);
    }

    public static final class Builder {
        private int maxHeaderBytes;
        private int maxUriLength;
        private long maxBodyBytes;
        private double requestsPerSecond;
        private int requestBurst;
        private int maxConnectionsPerAddress;
        private Duration idleTimeout;
        private Duration requestParseTimeout;
        private Duration readTimeout;
        private int maxTunnels;
        private int maxStreamsPerAgent;
        private Duration agentHelloTimeout;
        private int agentControlFramesPerSecond;
        private int maxStreamWindow;

        private Builder(Limits l) {
            maxHeaderBytes = l.maxHeaderBytes;
            maxUriLength = l.maxUriLength;
            maxBodyBytes = l.maxBodyBytes;
            requestsPerSecond = l.requestsPerSecond;
            requestBurst = l.requestBurst;
            maxConnectionsPerAddress = l.maxConnectionsPerAddress;
            idleTimeout = l.idleTimeout;
            requestParseTimeout = l.requestParseTimeout;
            readTimeout = l.readTimeout;
            maxTunnels = l.maxTunnels;
            maxStreamsPerAgent = l.maxStreamsPerAgent;
            agentHelloTimeout = l.agentHelloTimeout;
            agentControlFramesPerSecond = l.agentControlFramesPerSecond;
            maxStreamWindow = l.maxStreamWindow;
        }

        public Builder maxHeaderBytes(int v) { maxHeaderBytes = v; return this; }
        public Builder maxUriLength(int v) { maxUriLength = v; return this; }
        public Builder maxBodyBytes(long v) { maxBodyBytes = v; return this; }
        public Builder requestsPerSecond(double v) { requestsPerSecond = v; return this; }
        public Builder requestBurst(int v) { requestBurst = v; return this; }
        public Builder maxConnectionsPerAddress(int v) { maxConnectionsPerAddress = v; return this; }
        public Builder idleTimeout(Duration v) { idleTimeout = v; return this; }
        public Builder requestParseTimeout(Duration v) { requestParseTimeout = v; return this; }
        public Builder readTimeout(Duration v) { readTimeout = v; return this; }
        public Builder maxTunnels(int v) { maxTunnels = v; return this; }
        public Builder maxStreamsPerAgent(int v) { maxStreamsPerAgent = v; return this; }
        public Builder agentHelloTimeout(Duration v) { agentHelloTimeout = v; return this; }
        public Builder agentControlFramesPerSecond(int v) { agentControlFramesPerSecond = v; return this; }
        public Builder maxStreamWindow(int v) { maxStreamWindow = v; return this; }

        public Limits build() {
            return new Limits(maxHeaderBytes, maxUriLength, maxBodyBytes, requestsPerSecond, requestBurst,
                    maxConnectionsPerAddress, idleTimeout, requestParseTimeout, readTimeout, maxTunnels,
                    maxStreamsPerAgent, agentHelloTimeout, agentControlFramesPerSecond, maxStreamWindow);
        }
    }
}
