package io.wstunnel.srv.tunnel;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Per-token state that outlives agent sockets: the agents serving the token and the requests
 * waiting for a stream. All state is guarded by this object's monitor. Lock order: Tunnel before
 * any AgentConnection; agent connections never call in here while holding their own lock.
 *
 * <p>Only agents make a token live: a request may wait for an agent that is momentarily away, but
 * once the token has had no agent for longer than the reconnect grace it is {@linkplain #agentGone()
 * gone} (requests are refused at once), and its idleness ({@link #idleNanos}, which decides when the
 * token is forgotten) counts agent activity only, never caller traffic.
 *
 * <p>Once {@linkplain #forgetIfIdle forgotten} (under the monitor, only while it has no agent) a tunnel
 * stays agentless and empty: {@link #addAgent} and {@link #submit} refuse it, so nothing is ever left on
 * a tunnel the {@link TokenRegistry} no longer holds (see {@link TokenRegistry#join}).
 */
public final class Tunnel {
    /** What {@link #submit} did with a request. */
    public enum Admission { OPENED, QUEUED, QUEUE_FULL, NO_AGENT, FORGOTTEN }

    /** What {@link #addAgent} did. */
    enum Join { JOINED, FULL, FORGOTTEN }

    /** Told (outside the tunnel's monitor) when an agent joins or leaves a tunnel, whatever its framing. */
    public interface AgentListener {
        AgentListener NONE = new AgentListener() {
        };

        default void added(Tunnel tunnel, AgentConnection agent) {
        }

        default void removed(Tunnel tunnel, AgentConnection agent) {
        }
    }

    private final String token;
    private final int maxQueued;
    private final int maxAgents;
    private final List<AgentConnection> agents = new ArrayList<>(2);
    private final ArrayDeque<CallerStream> queue = new ArrayDeque<>();
    private final AgentListener listener;
    private final long graceNanos;
    private final LongSupplier clock;
    /** While {@code agents} is empty: when it became empty (or the tunnel was made). */
    private long agentlessSinceNanos;
    /** Set once, by {@link #forgetIfIdle}; then {@code agents} and {@code queue} stay empty. */
    private boolean forgotten;

    public Tunnel(String token, int maxQueued, int maxAgents) {
        this(token, maxQueued, maxAgents, AgentListener.NONE, TokenRegistry.DEFAULT_RECONNECT_GRACE, System::nanoTime);
    }

    /**
     * @param reconnectGrace how long requests may wait while the token has no agent at all
     * @param clock          {@link System#nanoTime} but in tests; agents' {@link AgentConnection#lastSeenNanos}
     *                       must come from the same clock
     */
    public Tunnel(String token, int maxQueued, int maxAgents, AgentListener listener, Duration reconnectGrace,
                  LongSupplier clock) {
        this.token = token;
        this.maxQueued = maxQueued;
        this.maxAgents = maxAgents;
        this.listener = listener;
        this.graceNanos = reconnectGrace.toNanos();
        this.clock = clock;
        this.agentlessSinceNanos = clock.getAsLong();
    }

    public String token() {
        return token;
    }

    /** The token as logs and statistics may show it: its first 8 characters and "...". */
    public String tokenId() {
        return TokenRegistry.cut(token);
    }

    /** Adds the agent unless the token has its maximum number of agents or the tunnel is forgotten. */
    Join addAgent(AgentConnection agent) {
        synchronized (this) {
            if (forgotten) {
                return Join.FORGOTTEN;
            }
            if (maxAgents > 0 && agents.size() >= maxAgents) {
                return Join.FULL;
            }
            agents.add(agent);
        }
        listener.added(this, agent);
        return Join.JOINED;
    }

    public synchronized int agentCount() {
        return agents.size();
    }

    public synchronized List<AgentConnection> agents() {
        return List.copyOf(agents);
    }

    public synchronized int queued() {
        return queue.size();
    }

    public void removeAgent(AgentConnection agent) {
        boolean removed;
        synchronized (this) {
            removed = agents.remove(agent);
            if (removed && agents.isEmpty()) {
                agentlessSinceNanos = clock.getAsLong();
            }
        }
        if (removed) {
            listener.removed(this, agent);
        }
        drain(); // another agent of the token may take what this one could not
    }

    /** An agent can take (more) streams: hand it queued requests. */
    public void drain() {
        synchronized (this) {
            while (!queue.isEmpty()) {
                CallerStream next = queue.peek();
                if (!next.isActive()) {
                    queue.poll();
                    continue;
                }
                if (!openOnLeastLoaded(next)) {
                    return;
                }
                queue.poll();
            }
        }
    }

    /**
     * Routes a request to the least-loaded agent, or queues it while no agent can take it; refuses it
     * ({@link Admission#NO_AGENT}) when the token's agents are {@linkplain #agentGone() gone}. Caller
     * traffic is not agent activity: it never keeps the token alive. A forgotten tunnel refuses it
     * ({@link Admission#FORGOTTEN}): the caller looked the token up just before the sweep forgot it.
     */
    public synchronized Admission submit(CallerStream caller) {
        if (forgotten) {
            return Admission.FORGOTTEN;
        }
        if (queue.isEmpty() && openOnLeastLoaded(caller)) {
            return Admission.OPENED;
        }
        if (agentGone()) {
            return Admission.NO_AGENT;
        }
        if (queue.size() >= maxQueued) {
            return Admission.QUEUE_FULL;
        }
        queue.add(caller);
        return Admission.QUEUED;
    }

    /** @return true if the request was still queued and is now removed */
    public synchronized boolean withdraw(CallerStream caller) {
        return queue.remove(caller);
    }

    /** Removes and returns every queued request (shutdown, forgotten token). */
    public synchronized List<CallerStream> drainQueue() {
        List<CallerStream> out = new ArrayList<>(queue);
        queue.clear();
        return out;
    }

    /**
     * True when the token has had no agent for longer than the reconnect grace: no agent can be
     * expected any more, so requests must not wait for one.
     */
    public synchronized boolean agentGone() {
        return agents.isEmpty() && clock.getAsLong() - agentlessSinceNanos > graceNanos;
    }

    /** The body of the {@link NoAgent} answer for this token's reconnect grace. */
    public String noAgentText() {
        return NoAgent.text(Duration.ofNanos(graceNanos));
    }

    /** Once the token's agents are {@linkplain #agentGone() gone}: removes and returns the queued requests. */
    public synchronized List<CallerStream> drainQueueIfAgentGone() {
        return agentGone() ? drainQueue() : List.of();
    }

    /**
     * Time since the last agent activity: the latest frame (ping, response, ...) from a connected
     * agent, or, with none connected, since the last one left. Caller traffic does not count.
     */
    public synchronized long idleNanos() {
        long now = clock.getAsLong();
        if (agents.isEmpty()) {
            return now - agentlessSinceNanos;
        }
        long latest = Long.MIN_VALUE;
        for (AgentConnection a : agents) {
            long seen = a.lastSeenNanos();
            if (latest == Long.MIN_VALUE || seen - latest > 0) {
                latest = seen;
            }
        }
        return Math.max(0, now - latest);
    }

    /**
     * If the token has had no agent for longer than {@code idleNanos}: marks the tunnel forgotten and
     * removes and returns the queued requests; null (and nothing changed) otherwise.
     */
    synchronized List<CallerStream> forgetIfIdle(long idleNanos) {
        if (forgotten) {
            return List.of();
        }
        if (!agents.isEmpty() || clock.getAsLong() - agentlessSinceNanos <= idleNanos) {
            return null;
        }
        forgotten = true;
        return drainQueue();
    }

    private boolean openOnLeastLoaded(CallerStream caller) {
        if (agents.isEmpty()) {
            return false;
        }
        List<AgentConnection> byLoad = new ArrayList<>(agents);
        if (byLoad.size() > 1) {
            byLoad.sort(Comparator.comparingInt(AgentConnection::load));
        }
        for (AgentConnection a : byLoad) {
            if (a.accepting() && a.tryOpen(caller)) {
                return true;
            }
        }
        return false;
    }
}
