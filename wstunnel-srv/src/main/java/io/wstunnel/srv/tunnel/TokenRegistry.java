package io.wstunnel.srv.tunnel;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
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
    /** Tokens held at once, 0 = unlimited; with a limit, every creation holds {@link #creation}. */
    private final int maxTunnels;
    private final Object creation = new Object();
    private final Tunnel.AgentListener listener;
    /** Tokens refused at join whatever the limits (the admin's blocked tokens); see {@link #gate}. */
    private volatile Gate gate = token -> null;
    /** Joins hold it shared from the gate check to the agent's addition, {@link #closingGate} exclusively. */
    private final ReadWriteLock gateLock = new ReentrantReadWriteLock();
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
        this(maxQueued, maxAgents, 0, listener, reconnectGrace, clock);
    }

    /**
     * @param maxAgents  agents per token, 0 = unlimited
     * @param maxTunnels tokens held at once, 0 = unlimited: {@link #join} never makes the tunnel of a new
     *                   token past it
     */
    public TokenRegistry(int maxQueued, int maxAgents, int maxTunnels, Tunnel.AgentListener listener,
                         Duration reconnectGrace, LongSupplier clock) {
        this.maxQueued = maxQueued;
        this.maxAgents = maxAgents;
        this.maxTunnels = maxTunnels;
        this.listener = listener;
        this.reconnectGrace = reconnectGrace;
        this.clock = clock;
    }

    /** Decides whether a token's agents may join at all. Quick, non-blocking; called under the gate lock. */
    @FunctionalInterface
    public interface Gate {
        /** @return why agents of {@code token} are refused, or null */
        Refusal refusal(String token);
    }

    /** Sets the gate every {@link #join} asks first; set it before agents connect. */
    public void gate(Gate g) {
        this.gate = g;
    }

    /**
     * Runs {@code change}, which makes the gate refuse more tokens, atomically with respect to every join:
     * a join either added its agent before {@code change} ran (so the agent is in its tunnel's
     * {@link Tunnel#agents()} for whoever acts on the change after this returns) or sees the gate's new answer.
     *
     * @return what {@code change} returned
     */
    public <T> T closingGate(java.util.function.Supplier<T> change) {
        gateLock.writeLock().lock();
        try {
            return change.get();
        } finally {
            gateLock.writeLock().unlock();
        }
    }

    /** @return the tunnel of a known token, or null */
    public Tunnel get(String token) {
        return tunnels.get(token);
    }

    Tunnel getOrCreate(String token) {
        return tunnels.computeIfAbsent(token, t -> new Tunnel(t, maxQueued, maxAgents, listener, reconnectGrace, clock));
    }

    /**
     * The token's tunnel, made if the token is new and the registry holds fewer than maxTunnels; null if
     * it is new and the registry is full. Invariant: {@code size() <= maxTunnels}, since every creation
     * under a limit checks the size and creates under one lock (removals only shrink the map).
     */
    private Tunnel getOrCreateWithinLimit(String token) {
        Tunnel t = tunnels.get(token);
        if (t != null || maxTunnels <= 0) {
            return t != null ? t : getOrCreate(token);
        }
        synchronized (creation) {
            t = tunnels.get(token);
            if (t == null && tunnels.size() < maxTunnels) {
                t = getOrCreate(token);
            }
            return t;
        }
    }

    /**
     * Why an agent may not join a token: the handshake answers it with {@code status}; once the socket
     * is open (a handshake that passed the early checks lost a race for the last place, or its token was
     * blocked meanwhile: see {@link Gate}), the agent is closed with {@code closeCode}. The text is the
     * same either way.
     */
    public record Refusal(int status, int closeCode, String text) {
        static Refusal clientLimit(int max) {
            return new Refusal(429, 1008, "Maximum number of clients (" + max + ") reached for this token");
        }

        static Refusal tunnelLimit(int max) {
            return new Refusal(503, 1013, "Server tunnel limit reached (" + max + " tunnels); try again later");
        }

        /** One log line per refused agent: WARN when the whole server is full, INFO when one token is. */
        public void log(Logger log, String remote, String token) {
            if (status == 503) {
                log.warn("agent {} refused for new tunnel {}: {}", remote, cut(token), text);
            } else {
                log.info("agent {} refused for tunnel {}: {}", remote, cut(token), text);
            }
        }
    }

    /**
     * What {@link #join} did: the tunnel and the agent that joined it, or (both null) why it was refused.
     */
    public record JoinResult<A extends AgentConnection>(Tunnel tunnel, A agent, Refusal refused) {
        static <A extends AgentConnection> JoinResult<A> refused(Refusal why) {
            return new JoinResult<>(null, null, why);
        }
    }

    /**
     * The handshake's early answer, before the socket is open: the refusal {@link #join} would give if
     * nothing changed meanwhile, or null. Not atomic with the join, which decides.
     */
    public Refusal admission(String token) {
        Tunnel t = tunnels.get(token);
        if (t == null) {
            return maxTunnels > 0 && tunnels.size() >= maxTunnels ? Refusal.tunnelLimit(maxTunnels) : null;
        }
        return maxAgents > 0 && t.agentCount() >= maxAgents ? Refusal.clientLimit(maxAgents) : null;
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
     * <p>The limits are checked here, atomically with the join: the token's agent count by
     * {@link Tunnel#addAgent} under the tunnel's monitor, the number of tokens when a tunnel is made
     * (see {@link #getOrCreateWithinLimit}). The {@link Gate} is asked first, and its answer holds until
     * the agent is added (see {@link #closingGate}); a refused token gets no tunnel.
     *
     * @param newAgent makes the agent for a tunnel; called again (for a fresh tunnel) after a lost race,
     *                 not at all when the token is new and the registry holds maxTunnels tokens
     */
    public <A extends AgentConnection> JoinResult<A> join(String token, Function<Tunnel, A> newAgent) {
        gateLock.readLock().lock(); // shared: joins do not wait for each other
        try {
            Refusal closed = gate.refusal(token);
            return closed != null ? JoinResult.refused(closed) : joinWithinLimits(token, newAgent);
        } finally {
            gateLock.readLock().unlock();
        }
    }

    private <A extends AgentConnection> JoinResult<A> joinWithinLimits(String token, Function<Tunnel, A> newAgent) {
        while (true) {
            Tunnel t = getOrCreateWithinLimit(token);
            if (t == null) {
                return JoinResult.refused(Refusal.tunnelLimit(maxTunnels));
            }
            A agent = newAgent.apply(t);
            switch (t.addAgent(agent)) {
                case JOINED:
                    return new JoinResult<>(t, agent, null);
                case FULL:
                    return JoinResult.refused(Refusal.clientLimit(maxAgents));
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
