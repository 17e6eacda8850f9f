package io.wstunnel.cli;

import java.time.Duration;

/** The running agent. API under construction: see issue 2. */
public final class Agent implements AutoCloseable {

    /** Starts dialing the server in the background (reconnecting forever) and returns at once. */
    public static Agent start(AgentConfig config) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** True while a tunnel socket is open and its HELLO exchange is done. */
    public boolean isConnected() {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Waits until connected; false on timeout. */
    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        throw new UnsupportedOperationException("not yet implemented");
    }

    /** Graceful stop: accept no new streams, let in-flight ones finish within {@code grace}, close. */
    public void stop(Duration grace) {
        throw new UnsupportedOperationException("not yet implemented");
    }

    @Override
    public void close() {
        stop(Duration.ZERO);
    }
}
