package io.wstunnel.srv.admin;

import io.wstunnel.srv.tunnel.AgentConnection;
import io.wstunnel.srv.tunnel.Tunnel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent sockets that came through {@link AdminHub#agentConnected}, keyed by connection, each with
 * an operator-facing id ("a1", "a2", ...; never reused). A socket a tunnel holds without having been
 * tracked (e.g. legacy framing) is shown with an "x..." id made by {@link #untracked}. Lock-free.
 */
final class AgentDirectory {
    private final AtomicLong agentSeq = new AtomicLong();
    private final ConcurrentHashMap<AgentConnection, AgentInfo> agents = new ConcurrentHashMap<>();

    /** Tracks a socket that finished its handshake, under the next id. */
    AgentInfo add(Tunnel tunnel, AgentConnection a, String protocol, String addr) {
        AgentInfo info = new AgentInfo("a" + agentSeq.incrementAndGet(), tunnel, a, protocol,
                a.clientVersion() == null ? "" : a.clientVersion(), addr, Instant.now());
        agents.put(a, info);
        return info;
    }

    /** @return the agent, or null if it was not (or no longer) tracked */
    AgentInfo remove(AgentConnection a) {
        return agents.remove(a);
    }

    int size() {
        return agents.size();
    }

    Collection<AgentInfo> tracked() {
        return agents.values();
    }

    static String protocolOf(AgentConnection a) {
        if (a instanceof io.wstunnel.srv.agent.V2Session) {
            return io.wstunnel.protocol.Subprotocol.V2;
        }
        return a.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT).contains("legacy") ? "legacy" : "other";
    }

    String soleAgentId(Tunnel t) {
        Collection<AgentInfo> l = of(t);
        return l.size() == 1 ? l.iterator().next().agentId() : "";
    }

    /** The agents of a tunnel, tracked or not. */
    Collection<AgentInfo> of(Tunnel t) {
        List<AgentInfo> l = new ArrayList<>();
        for (AgentConnection a : t.agents()) {
            AgentInfo i = agents.get(a);
            l.add(i != null ? i : untracked(t, a));
        }
        return l;
    }

    /** An agent connection that did not come through the session tracker (e.g. a legacy-framing socket). */
    static AgentInfo untracked(Tunnel t, AgentConnection a) {
        return new AgentInfo("x" + Integer.toHexString(System.identityHashCode(a)), t, a, protocolOf(a),
                a.clientVersion() == null ? "" : a.clientVersion(), a.remoteAddress(), java.time.Instant.EPOCH);
    }
}
