package io.wstunnel.srv.admin;

import io.wstunnel.srv.tunnel.Tunnel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders the hub's state for operators: the /_stats key=value text and the /admin/monitoring and
 * /admin/auditing JSON trees. Read-only: every call takes a fresh snapshot of the concurrent counters.
 */
final class AdminReports {
    private final AdminHub hub;

    AdminReports(AdminHub hub) {
        this.hub = hub;
    }

    /** The /_stats body; {@code detail} (per-tunnel lines) only for trusted callers. */
    String stats(boolean detail) {
        List<Tunnel> tunnels = sortedTunnels();
        StringBuilder sb = new StringBuilder();
        sb.append("tunnels=").append(tunnels.size()).append('\n');
        sb.append("max_requests_per_tunnel=").append(hub.config.maxRequestsPerTunnel()).append('\n');
        sb.append("max_clients_per_token=").append(hub.config.maxClientsPerToken()).append('\n');
        if (hub.config.maxClientsPerToken() > 0) {
            int total = 0;
            for (Tunnel t : tunnels) {
                int n = t.agentCount();
                if (n > 0) {
                    sb.append("token_clients_").append(TokenIds.cut(t.token())).append('=').append(n).append('\n');
                    total += n;
                }
            }
            sb.append("total_clients=").append(total).append('\n');
        }
        if (!detail) {
            sb.append("More stats available when called from localhost...\n");
        } else {
            int pendingTotal = 0;
            int dead = 0;
            for (int i = 0; i < tunnels.size(); i++) {
                Tunnel t = tunnels.get(i);
                String p = String.format(Locale.ROOT, "tunnel%02d_", i);
                List<RequestInfo> inFlight = activeOf(t);
                TokenStats ts = hub.traffic.tokens.get(t.token());
                List<AgentInfo> agents = new ArrayList<>(hub.agents.of(t));
                String addr = !agents.isEmpty() ? agents.get(0).remoteAddress() : ts == null ? "" : ts.lastAgentAddress;
                String version = !agents.isEmpty() ? agents.get(0).clientVersion() : ts == null ? "" : ts.lastClientVersion;
                sb.append('\n');
                sb.append(p).append("token=").append(TokenIds.cut(t.token())).append('\n');
                sb.append(p).append("req_pending=").append(inFlight.size()).append('\n');
                sb.append(p).append("tun_addr=").append(addr).append('\n');
                if (!version.isEmpty()) {
                    sb.append(p).append("client_version=").append(version).append('\n');
                }
                sb.append(p).append("idle_secs=").append(String.format(Locale.ROOT, "%.1f", t.idleNanos() / 1e9)).append('\n');
                if (!inFlight.isEmpty()) {
                    sb.append(p).append("cli_addr=").append(inFlight.get(0).callerAddress()).append('\n');
                }
                pendingTotal += inFlight.size();
                if (t.agentCount() == 0) {
                    dead++;
                }
            }
            sb.append('\n');
            sb.append("req_pending=").append(pendingTotal).append('\n');
            sb.append("dead_tunnels=").append(dead).append('\n');
        }
        return sb.toString();
    }

    /** Tunnels in the order their tokens were first seen. */
    private List<Tunnel> sortedTunnels() {
        hub.prune();
        List<Tunnel> l = new ArrayList<>(hub.registry.all());
        l.sort(Comparator.comparingLong(t -> {
            TokenStats ts = hub.traffic.tokens.get(t.token());
            return ts == null ? Long.MAX_VALUE : ts.seq;
        }));
        return l;
    }

    /** In-flight requests of a tunnel, oldest first. */
    private List<RequestInfo> activeOf(Tunnel t) {
        List<RequestInfo> l = new ArrayList<>();
        for (RequestInfo r : hub.traffic.active) {
            if (r.tunnel() == t) {
                l.add(r);
            }
        }
        l.sort(Comparator.comparingLong(RequestInfo::startNanos));
        return l;
    }

    // ------------------------------------------------------------------ JSON endpoints

    Map<String, Object> monitoring() {
        List<Tunnel> tunnels = new ArrayList<>(hub.registry.all());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("timestamp", Instant.now().toString());
        m.put("unique_tunnels", tunnels.size());
        m.put("tunnel_connections", hub.agents.size());
        m.put("pending_requests", hub.traffic.active.size());
        m.put("completed_requests", hub.traffic.completed.sum());
        m.put("errored_requests", hub.traffic.errored.sum());
        // added fields
        m.put("start_time", hub.startTime.toString());
        m.put("connected_tunnels", tunnels.stream().filter(t -> t.agentCount() > 0).count());
        m.put("queued_requests", tunnels.stream().mapToInt(Tunnel::queued).sum());
        m.put("bytes_in", hub.traffic.bytesIn.sum());
        m.put("bytes_out", hub.traffic.bytesOut.sum());
        Map<String, Long> rejects = new TreeMap<>();
        hub.traffic.rejects.forEach((k, v) -> rejects.put(k, v.sum()));
        m.put("rejects", rejects);
        m.put("blocked_tokens", new ArrayList<>(new TreeMap<>(hub.control.blocked).keySet()));
        return m;
    }

    Map<String, Object> auditing() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("timestamp", Instant.now().toString());
        Map<String, Object> byId = new TreeMap<>();
        long nowNanos = System.nanoTime();
        Instant now = Instant.now();
        for (Tunnel t : sortedTunnels()) {
            TokenStats ts = hub.traffic.stats(t.token());
            List<AgentInfo> agents = new ArrayList<>(hub.agents.of(t));
            agents.sort(Comparator.comparing(AgentInfo::connectedAt));
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("token", ts.cut);
            e.put("remote_addr", agents.isEmpty() ? ts.lastAgentAddress : agents.get(0).remoteAddress());
            e.put("remote_name", "");
            e.put("remote_whois", "");
            e.put("client_version", agents.isEmpty() ? ts.lastClientVersion : agents.get(0).clientVersion());
            e.put("last_activity", now.minusNanos(Math.max(0, t.idleNanos())).toString());
            List<Map<String, Object>> conns = new ArrayList<>();
            List<RequestInfo> inFlight = activeOf(t);
            for (RequestInfo r : inFlight) {
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("request_id", r.numericId());
                c.put("method", r.method());
                c.put("uri", r.uri());
                c.put("remote_addr", r.callerAddress());
                c.put("start_time", r.start().toString());
                c.put("bytes_in", r.bytesIn());
                c.put("bytes_out", r.bytesOut());
                c.put("duration_secs", Math.round((nowNanos - r.startNanos()) / 1e6) / 1000.0);
                conns.add(c);
            }
            e.put("active_connections", conns);
            if (ts.lastErrorTime != null) {
                e.put("last_error_time", ts.lastErrorTime.toString());
                e.put("last_error_addr", ts.lastErrorAddr);
            }
            if (ts.lastSuccessTime != null) {
                e.put("last_success_time", ts.lastSuccessTime.toString());
                e.put("last_success_addr", ts.lastSuccessAddr);
            }
            e.put("pending_requests", inFlight.size());
            // added fields
            e.put("token_id", ts.tokenId);
            e.put("blocked", hub.control.blocked.containsKey(ts.tokenId));
            List<Map<String, Object>> al = new ArrayList<>();
            for (AgentInfo a : agents) {
                Map<String, Object> am = new LinkedHashMap<>();
                am.put("agent_id", a.agentId());
                am.put("remote_addr", a.remoteAddress());
                am.put("protocol", a.protocol());
                am.put("client_version", a.clientVersion());
                am.put("connected_at", a.connectedAt().toString());
                am.put("open_streams", a.connection().load());
                al.add(am);
            }
            e.put("agents", al);
            e.put("queued_requests", t.queued());
            e.put("completed_requests", ts.completed.sum());
            e.put("errored_requests", ts.errored.sum());
            e.put("bytes_in", ts.bytesIn.sum());
            e.put("bytes_out", ts.bytesOut.sum());
            Map<String, Long> rejects = new TreeMap<>();
            ts.rejects.forEach((k, v) -> rejects.put(k, v.sum()));
            e.put("rejects", rejects);
            byId.put(ts.tokenId, e);
        }
        m.put("tunnels", byId);
        return m;
    }
}
