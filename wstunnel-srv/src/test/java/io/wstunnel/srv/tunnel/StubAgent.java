package io.wstunnel.srv.tunnel;

/** An agent that takes no streams: for tests where only its place in a tunnel matters. */
public final class StubAgent implements AgentConnection {
    @Override
    public boolean tryOpen(CallerStream caller) {
        return false;
    }

    @Override
    public int load() {
        return 0;
    }

    @Override
    public boolean accepting() {
        return false;
    }

    @Override
    public String remoteAddress() {
        return "192.0.2.1";
    }

    @Override
    public long lastSeenNanos() {
        return System.nanoTime();
    }

    @Override
    public String clientVersion() {
        return "stub";
    }

    @Override
    public void goAway(String reason) {
    }

    @Override
    public void abort(String reason) {
    }
}
