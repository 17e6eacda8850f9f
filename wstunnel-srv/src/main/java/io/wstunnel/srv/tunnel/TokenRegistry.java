package io.wstunnel.srv.tunnel;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** Tokens known to the server: a token becomes known when an agent first registers it. */
public final class TokenRegistry {
    private final ConcurrentHashMap<String, Tunnel> tunnels = new ConcurrentHashMap<>();
    private final int maxQueued;
    private final int maxAgents;
    private final Tunnel.AgentListener listener;

    public TokenRegistry(int maxQueued, int maxAgents) {
        this(maxQueued, maxAgents, Tunnel.AgentListener.NONE);
    }

    /** @param listener told when agents join or leave any tunnel */
    public TokenRegistry(int maxQueued, int maxAgents, Tunnel.AgentListener listener) {
        this.maxQueued = maxQueued;
        this.maxAgents = maxAgents;
        this.listener = listener;
    }

    /** @return the tunnel of a known token, or null */
    public Tunnel get(String token) {
        return tunnels.get(token);
    }

    public Tunnel getOrCreate(String token) {
        return tunnels.computeIfAbsent(token, t -> new Tunnel(t, maxQueued, maxAgents, listener));
    }

    /** Tokens known right now. */
    public int size() {
        return tunnels.size();
    }

    public Collection<Tunnel> all() {
        return List.copyOf(tunnels.values());
    }

    /** Forgets tokens with no agent and no activity for {@code idle}; hands over their queues. */
    public void sweep(Duration idle, Consumer<CallerStream> orphan) {
        for (Tunnel t : tunnels.values()) {
            if (t.agentCount() == 0 && t.idleNanos() > idle.toNanos() && tunnels.remove(t.token(), t)) {
                t.drainQueue().forEach(orphan);
            }
        }
    }

    /** A token as it may appear in logs and statistics: first 8 characters and "...". */
    public static String cut(String token) {
        if (token == null) {
            return "";
        }
        return token.length() <= 8 ? token + "..." : token.substring(0, 8) + "...";
    }
}
