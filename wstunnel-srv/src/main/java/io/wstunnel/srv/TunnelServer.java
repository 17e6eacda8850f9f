package io.wstunnel.srv;

import java.time.Duration;

/** The running server. API under construction: see issue 2. */
public final class TunnelServer implements AutoCloseable {
    private final ServerConfig config;

    private TunnelServer(ServerConfig config) {
        this.config = config;
    }

    /** Binds and starts serving; returns once the port is bound. */
    public static TunnelServer start(ServerConfig config) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** The bound port (useful with port 0). */
    public int port() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    public ServerConfig config() {
        return config;
    }

    /**
     * Graceful stop: refuse new requests (503), let in-flight ones finish within {@code grace},
     * then close agent sockets with 1001 going away and unbind.
     */
    public void stop(Duration grace) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    @Override
    public void close() {
        stop(Duration.ZERO);
    }
}
