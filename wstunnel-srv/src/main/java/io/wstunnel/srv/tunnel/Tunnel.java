package io.wstunnel.srv.tunnel;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Per-token state that outlives agent sockets: the agents serving the token and the requests
 * waiting for a stream. All state is guarded by this object's monitor. Lock order: Tunnel before
 * any AgentConnection; agent connections never call in here while holding their own lock.
 */
public final class Tunnel {
    /** What {@link #submit} did with a request. */
    public enum Admission { OPENED, QUEUED, QUEUE_FULL }

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
    private long lastActivityNanos = System.nanoTime();
    private final AgentListener listener;

    public Tunnel(String token, int maxQueued, int maxAgents) {
        this(token, maxQueued, maxAgents, AgentListener.NONE);
    }

    public Tunnel(String token, int maxQueued, int maxAgents, AgentListener listener) {
        this.token = token;
        this.maxQueued = maxQueued;
        this.maxAgents = maxAgents;
        this.listener = listener;
    }

    public String token() {
        return token;
    }

    /** The token as logs and statistics may show it: its first 8 characters and "...". */
    public String tokenId() {
        return TokenRegistry.cut(token);
    }

    /** @return false if the token already has its maximum number of agents */
    public boolean addAgent(AgentConnection agent) {
        synchronized (this) {
            if (maxAgents > 0 && agents.size() >= maxAgents) {
                return false;
            }
            agents.add(agent);
            touch();
        }
        listener.added(this, agent);
        return true;
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
            touch();
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

    /** Routes a request to the least-loaded agent, or queues it while no agent can take it. */
    public synchronized Admission submit(CallerStream caller) {
        touch();
        if (queue.isEmpty() && openOnLeastLoaded(caller)) {
            return Admission.OPENED;
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

    public synchronized long idleNanos() {
        return System.nanoTime() - lastActivityNanos;
    }

    public synchronized void touch() {
        lastActivityNanos = System.nanoTime();
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
