package io.wstunnel.srv.tunnel;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tokens known to the server: a token becomes known when an agent first registers it. */
public final class TokenRegistry {
    private static final Logger log = LoggerFactory.getLogger(TokenRegistry.class);
    /** How long requests wait for an agent of a token that has none, unless configured otherwise. */
    public static final Duration DEFAULT_RECONNECT_GRACE = Duration.ofSeconds(60);
    /** The answer (404) to a request for a token the server does not know, or no longer. */
    public static final String UNKNOWN_TOKEN_TEXT = "Tunnel not found (or not seen in a long time)";

    private final ConcurrentHashMap<String, Tunnel> tunnels = new ConcurrentHashMap<>();
    private final int maxQueued;
    private final int maxAgents;
    private final Tunnel.AgentListener listener;
    private final Duration reconnectGrace;
    private final LongSupplier clock;

    public TokenRegistry(int maxQueued, int maxAgents) {
        this(maxQueued, maxAgents, Tunnel.AgentListener.NONE);
    }

    /** @param listener told when agents join or leave any tunnel */
    public TokenRegistry(int maxQueued, int maxAgents, Tunnel.AgentListener listener) {
        this(maxQueued, maxAgents, listener, DEFAULT_RECONNECT_GRACE, System::nanoTime);
    }

    /**
     * @param reconnectGrace how long requests may wait for an agent while a token has none (see
     *                       {@link Tunnel#agentGone()})
     * @param clock          {@link System#nanoTime} but in tests
     */
    public TokenRegistry(int maxQueued, int maxAgents, Tunnel.AgentListener listener, Duration reconnectGrace,
                         LongSupplier clock) {
        this.maxQueued = maxQueued;
        this.maxAgents = maxAgents;
        this.listener = listener;
        this.reconnectGrace = reconnectGrace;
        this.clock = clock;
    }

    /** @return the tunnel of a known token, or null */
    public Tunnel get(String token) {
        return tunnels.get(token);
    }

    Tunnel getOrCreate(String token) {
        return tunnels.computeIfAbsent(token, t -> new Tunnel(t, maxQueued, maxAgents, listener, reconnectGrace, clock));
    }

    /** An agent and the tunnel it joined. */
    public record Joined<A extends AgentConnection>(Tunnel tunnel, A agent) {
    }

    /**
     * The one way an agent joins a token: makes the agent for the token's tunnel (created if the token
     * is not known) and adds it there.
     *
     * <p>Invariant: an agent only ever joins a tunnel this registry holds. Joining and forgetting are
     * serialised by the tunnel's monitor: {@link Tunnel#forgetIfIdle} marks an agentless tunnel forgotten
     * and {@link Tunnel#addAgent} refuses a forgotten one. An agent that loses that race takes the
     * forgotten tunnel out of the map itself (the sweep may not have yet) and tries a fresh one, which
     * cannot be forgotten before it has been agentless for a whole idle timeout.
     *
     * @param newAgent makes the agent for a tunnel; called again (for a fresh tunnel) after a lost race
     * @return null if the token already has its maximum number of agents
     */
    public <A extends AgentConnection> Joined<A> join(String token, Function<Tunnel, A> newAgent) {
        while (true) {
            Tunnel t = getOrCreate(token);
            A agent = newAgent.apply(t);
            switch (t.addAgent(agent)) {
                case JOINED:
                    return new Joined<>(t, agent);
                case FULL:
                    return null;
                default: // FORGOTTEN
                    tunnels.remove(token, t);
            }
        }
    }

    /** Tokens known right now. */
    public int size() {
        return tunnels.size();
    }

    public Collection<Tunnel> all() {
        return List.copyOf(tunnels.values());
    }

    /**
     * Forgets tokens that have had no agent for {@code idle} (agent inactivity only: callers polling a
     * token do not keep it); hands over their queues.
     */
    public void sweep(Duration idle, Consumer<CallerStream> orphan) {
        long idleNanos = idle.toNanos();
        for (Tunnel t : tunnels.values()) {
            List<CallerStream> queued = t.forgetIfIdle(idleNanos);
            if (queued != null) { // forgotten: no agent can join it any more (see join)
                tunnels.remove(t.token(), t);
                queued.forEach(orphan);
            }
        }
    }

    /**
     * Fails (with the {@link NoAgent} answer) the queued requests of every token whose agents are gone
     * (no agent for longer than the reconnect grace): none of them can be served any more.
     *
     * @return how many requests were failed
     */
    public int failAgentless() {
        int n = 0;
        for (Tunnel t : tunnels.values()) {
            List<CallerStream> queued = t.drainQueueIfAgentGone();
            if (!queued.isEmpty()) {
                log.info("tunnel {}: no agent for over {} ms; {} waiting requests refused", t.tokenId(),
                        reconnectGrace.toMillis(), queued.size());
                n += queued.size();
                String text = t.noAgentText();
                queued.forEach(c -> c.fail(NoAgent.STATUS, text));
            }
        }
        return n;
    }

    /**
     * A token as it may appear in logs and statistics: at most its first 8 characters, and never more
     * than half of it, then "...": no token is ever shown whole, however short.
     */
    public static String cut(String token) {
        if (token == null) {
            return "";
        }
        return token.substring(0, Math.min(8, token.length() / 2)) + "...";
    }
}
