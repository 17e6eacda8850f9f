package io.wstunnel.srv.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.http.PlainText;
import io.wstunnel.srv.tunnel.AgentConnection;
import io.wstunnel.srv.tunnel.CallerStream;
import io.wstunnel.srv.tunnel.TokenRegistry;
import io.wstunnel.srv.tunnel.Tunnel;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator side of the server: receives {@link ServerEvents} from the request path and the agent
 * endpoint, keeps the counters behind /_stats and /admin/*, feeds metrics, the audit log and the event
 * stream, and carries out admin actions (disconnect an agent, block or unblock a token).
 */
public final class AdminHub implements ServerEvents, Tunnel.AgentListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminHub.class);
    static final ObjectMapper JSON = new ObjectMapper();
    private static final int RECENT_EVENTS = 100;
    static final int MAX_TOKEN_LABELS = 50;

    final ServerConfig config;
    volatile TokenRegistry registry = new TokenRegistry(1, 0);
    final ClientAddress clientAddress;
    final Metrics metrics;
    final AuditLog.Sink audit;
    final EventStream events = new EventStream();
    final Instant startTime = Instant.now();

    private final AtomicLong tokenSeq = new AtomicLong();
    private final AtomicLong agentSeq = new AtomicLong();
    final ConcurrentHashMap<String, TokenStats> tokens = new ConcurrentHashMap<>();
    final ConcurrentHashMap<AgentConnection, AgentInfo> agents = new ConcurrentHashMap<>();
    final Set<RequestInfo> active = ConcurrentHashMap.newKeySet();
    final LongAdder completed = new LongAdder();
    final LongAdder errored = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    final ConcurrentHashMap<String, LongAdder> rejects = new ConcurrentHashMap<>();
    /** token id → when it was blocked. */
    final ConcurrentHashMap<String, Instant> blocked = new ConcurrentHashMap<>();
    private final ArrayDeque<String> recent = new ArrayDeque<>(); // guarded by itself

    /** Call {@link #attach} with the server's registry before serving. */
    public AdminHub(ServerConfig config) {
        this.config = config;
        this.clientAddress = new ClientAddress(config.trustedProxies());
        this.metrics = new Metrics(MAX_TOKEN_LABELS, () -> this.registry.all().size(),
                () -> this.registry.all().stream().filter(t -> t.agentCount() > 0).count(), agents::size, active::size,
                () -> this.registry.all().stream().mapToInt(Tunnel::queued).sum(), blocked::size);
        this.audit = config.auditLog().isEmpty() ? AuditLog.NONE : AuditLog.open(config.auditLog());
    }

    /** The registry whose tunnels this hub reports on (it must have been built with this hub as listener). */
    public void attach(TokenRegistry registry) {
        this.registry = registry;
    }

    // ------------------------------------------------------------------ request path

    TokenStats stats(String token) {
        return tokens.computeIfAbsent(token, t -> new TokenStats(tokenSeq.incrementAndGet(), t));
    }

    @Override
    public void requestStarted(RequestInfo r) {
        active.add(r);
        stats(r.tunnel().token()).inFlight.incrementAndGet();
    }

    @Override
    public void requestBytesIn(RequestInfo r, long n) {
        if (n <= 0) {
            return;
        }
        r.bytesIn.addAndGet(n);
        bytesIn.add(n);
        stats(r.tunnel().token()).bytesIn.add(n);
        metrics.bytesIn(r.tunnel().token(), n);
    }

    @Override
    public void requestBytesOut(RequestInfo r, long n) {
        if (n <= 0) {
            return;
        }
        r.bytesOut.addAndGet(n);
        bytesOut.add(n);
        stats(r.tunnel().token()).bytesOut.add(n);
        metrics.bytesOut(r.tunnel().token(), n);
    }

    @Override
    public void requestCompleted(RequestInfo r, int status, long in, long out, long millis) {
        if (!active.remove(r)) {
            return;
        }
        TokenStats ts = stats(r.tunnel().token());
        ts.inFlight.decrementAndGet();
        Instant now = Instant.now();
        if (status >= 200 && status < 400) {
            completed.increment();
            ts.completed.increment();
            ts.lastSuccessTime = now;
            ts.lastSuccessAddr = r.callerAddress();
        } else {
            errored.increment();
            ts.errored.increment();
            ts.lastErrorTime = now;
            ts.lastErrorAddr = r.callerAddress();
        }
        metrics.completed(r.tunnel().token(), status, millis);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("token", ts.cut);
        f.put("token_id", ts.tokenId);
        f.put("agent_id", r.agentId.isEmpty() ? soleAgentId(r.tunnel()) : r.agentId);
        f.put("request_id", r.requestId());
        f.put("method", r.method());
        f.put("path", r.uri());
        f.put("status", status);
        f.put("bytes_in", in);
        f.put("bytes_out", out);
        f.put("duration_ms", millis);
        f.put("caller", r.callerAddress());
        f.put("start_time", r.start().toString());
        audit.write("request", f);
    }

    @Override
    public void requestRejected(RequestInfo r, String reason) {
        reject("request_" + reason, r.tunnel().token());
    }

    private static final java.util.Set<String> AUDITED_REFUSALS =
            java.util.Set.of("blocked", "rate_limited", "body_too_large", "ticket_refused");

    @Override
    public void callerRefused(String token, String remote, int status, String reason) {
        reject("request_" + reason, null);
        // Refusals that concern a tenant are audited. Unknown or missing tokens are only counted: anyone
        // can produce them for free, and the audit queue applies back-pressure rather than dropping.
        if (AUDITED_REFUSALS.contains(reason)) {
            Map<String, Object> f = tokenFields(token);
            f.put("caller", remote);
            f.put("status", status);
            f.put("reason", reason);
            audit.write("request_refused", f);
        }
    }

    @Override
    public boolean tokenBlocked(String token) {
        return !blocked.isEmpty() && token != null && blocked.containsKey(TokenIds.id(token));
    }

    private void reject(String reason, String token) {
        rejects.computeIfAbsent(reason, k -> new LongAdder()).increment();
        metrics.reject(reason);
        if (token != null) {
            TokenStats ts = tokens.get(token);
            if (ts != null) {
                ts.rejects.computeIfAbsent(reason, k -> new LongAdder()).increment();
            }
        }
    }

    private static Map<String, Object> tokenFields(String token) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("token", token == null ? "" : TokenIds.cut(token));
        f.put("token_id", token == null ? "" : TokenIds.id(token));
        return f;
    }

    // ------------------------------------------------------------------ agents

    @Override
    public void added(Tunnel tunnel, AgentConnection agent) {
        agentConnected(tunnel, agent, protocolOf(agent),
                agent instanceof io.wstunnel.srv.agent.V2Session ? ((io.wstunnel.srv.agent.V2Session) agent).peerAddress() : null);
    }

    @Override
    public void removed(Tunnel tunnel, AgentConnection agent) {
        agentDisconnected(agent, "closed");
    }

    static String protocolOf(AgentConnection a) {
        if (a instanceof io.wstunnel.srv.agent.V2Session) {
            return io.wstunnel.protocol.Subprotocol.V2;
        }
        return a.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT).contains("legacy") ? "legacy" : "other";
    }

    /** An agent socket finished its handshake and serves {@code tunnel}. */
    public void agentConnected(Tunnel tunnel, AgentConnection a, String protocol, InetSocketAddress peer) {
        TokenStats ts = stats(tunnel.token());
        String addr = peer == null ? a.remoteAddress() : hostPort(peer);
        AgentInfo info = new AgentInfo("a" + agentSeq.incrementAndGet(), tunnel, a, protocol,
                a.clientVersion() == null ? "" : a.clientVersion(), addr, Instant.now());
        agents.put(a, info);
        ts.lastAgentAddress = addr;
        ts.lastClientVersion = info.clientVersion();
        boolean reconnect = ts.connects.getAndIncrement() > 0;
        metrics.agentConnected(reconnect);
        Map<String, Object> f = agentFields(info);
        f.put("reconnect", reconnect);
        event("agent_connected", f);
    }

    /** The agent socket is gone (idempotent). */
    public void agentDisconnected(AgentConnection a, String reason) {
        AgentInfo info = agents.remove(a);
        if (info == null) {
            return;
        }
        metrics.agentDisconnected();
        Map<String, Object> f = agentFields(info);
        f.put("reason", reason);
        f.put("connected_secs", (System.currentTimeMillis() - info.connectedAt().toEpochMilli()) / 1000.0);
        event("agent_disconnected", f);
    }

    /** An agent's upgrade request was refused with {@code status}. */
    void agentRefused(String token, String remote, int status) {
        String reason;
        String event;
        switch (status) {
            case 401:
                reason = "agent_auth";
                event = "auth_failure";
                break;
            case 429:
                reason = "agent_limit";
                event = "limit_reject";
                break;
            case 403:
                reason = "agent_blocked";
                event = "agent_refused";
                break;
            case 503:
                reason = "agent_shutting_down";
                event = "agent_refused";
                break;
            default:
                reason = "agent_bad_request";
                event = "agent_refused";
                break;
        }
        reject(reason, token);
        Map<String, Object> f = tokenFields(token);
        f.put("remote_addr", remote);
        f.put("status", status);
        f.put("reason", reason);
        event(event, f);
    }

    /**
     * Wraps the agent endpoint: refuses blocked tokens first, and reports every refusal (the status of
     * an upgrade request that did not become a socket).
     */
    public HttpHandler observeAgents(HttpHandler agentEndpoint) {
        return exchange -> {
            String token = exchange.getRequestHeaders().getFirst(Headers.ORIGIN);
            String remote = hostPort(exchange.getSourceAddress());
            if (tokenBlocked(token)) {
                agentRefused(token, remote, 403);
                PlainText.send(exchange, 403, "Tunnel token blocked by the server administrator");
                return;
            }
            exchange.addExchangeCompleteListener((ex, next) -> {
                int st = ex.getStatusCode();
                if (st >= 400) {
                    agentRefused(token, remote, st);
                }
                next.proceed();
            });
            agentEndpoint.handleRequest(exchange);
        };
    }

    private static Map<String, Object> agentFields(AgentInfo info) {
        Map<String, Object> f = tokenFields(info.tunnel().token());
        f.put("agent_id", info.agentId());
        f.put("remote_addr", info.remoteAddress());
        f.put("protocol", info.protocol());
        f.put("client_version", info.clientVersion());
        return f;
    }

    static String hostPort(InetSocketAddress a) {
        if (a == null) {
            return "";
        }
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    // ------------------------------------------------------------------ admin actions

    /** @return the agent, or null if no agent has this id */
    AgentInfo disconnect(String agentId, String by) {
        for (AgentInfo info : agents.values()) {
            if (info.agentId().equals(agentId)) {
                Map<String, Object> f = agentFields(info);
                f.put("action", "disconnect_agent");
                f.put("by", by);
                event("admin_action", f);
                info.connection().goAway("disconnected by the server administrator");
                info.connection().abort("disconnected by the server administrator");
                agentDisconnected(info.connection(), "disconnected by the server administrator");
                return info;
            }
        }
        for (Tunnel t : registry.all()) {
            for (AgentConnection a : t.agents()) {
                AgentInfo info = untracked(t, a);
                if (info.agentId().equals(agentId)) {
                    Map<String, Object> f = agentFields(info);
                    f.put("action", "disconnect_agent");
                    f.put("by", by);
                    event("admin_action", f);
                    a.goAway("disconnected by the server administrator");
                    a.abort("disconnected by the server administrator");
                    return info;
                }
            }
        }
        return null;
    }

    /** Blocks a token id: its agents are disconnected, its waiting callers answered 403. */
    boolean block(String tokenId, String by) {
        boolean fresh = blocked.putIfAbsent(tokenId, Instant.now()) == null;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("token_id", tokenId);
        f.put("by", by);
        f.put("changed", fresh);
        for (Tunnel t : registry.all()) {
            if (TokenIds.id(t.token()).equals(tokenId)) {
                f.put("token", TokenIds.cut(t.token()));
                for (CallerStream c : t.drainQueue()) {
                    c.fail(403, "Tunnel token blocked by the server administrator");
                }
                for (AgentConnection a : t.agents()) {
                    a.goAway("token blocked");
                    a.abort("token blocked");
                    agentDisconnected(a, "token blocked");
                }
            }
        }
        event("token_blocked", f);
        return fresh;
    }

    boolean unblock(String tokenId, String by) {
        boolean changed = blocked.remove(tokenId) != null;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("token_id", tokenId);
        f.put("by", by);
        f.put("changed", changed);
        event("token_unblocked", f);
        return changed;
    }

    void adminDenied(String remote, int status, String path) {
        reject(status == 401 ? "admin_unauthorized" : "admin_forbidden", null);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("remote_addr", remote);
        f.put("status", status);
        f.put("path", path);
        audit.write("admin_denied", f);
    }

    // ------------------------------------------------------------------ events

    /** Audit record + SSE event + recent-events ring. */
    void event(String type, Map<String, Object> fields) {
        audit.write(type, fields);
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("time", Instant.now().toString());
        e.put("type", type);
        e.putAll(fields);
        String json;
        try {
            json = JSON.writeValueAsString(e);
        } catch (Exception ex) {
            log.warn("cannot encode event {}: {}", type, ex.toString());
            return;
        }
        String frame = EventStream.format(type, json);
        synchronized (recent) {
            if (recent.size() >= RECENT_EVENTS) {
                recent.pollFirst();
            }
            recent.addLast(frame);
        }
        events.publish(type, json);
    }

    List<String> recentEvents() {
        synchronized (recent) {
            return new ArrayList<>(recent);
        }
    }

    private String soleAgentId(Tunnel t) {
        Collection<AgentInfo> l = agentsOf(t);
        return l.size() == 1 ? l.iterator().next().agentId() : "";
    }

    Collection<AgentInfo> agentsOf(Tunnel t) {
        List<AgentInfo> l = new ArrayList<>();
        for (AgentConnection a : t.agents()) {
            AgentInfo i = agents.get(a);
            l.add(i != null ? i : untracked(t, a));
        }
        return l;
    }

    /** An agent connection that did not come through the session tracker (e.g. a legacy-framing socket). */
    private static AgentInfo untracked(Tunnel t, AgentConnection a) {
        return new AgentInfo("x" + Integer.toHexString(System.identityHashCode(a)), t, a, protocolOf(a),
                a.clientVersion() == null ? "" : a.clientVersion(), a.remoteAddress(), java.time.Instant.EPOCH);
    }

    /** Drops statistics of tokens the registry forgot and that have nothing in flight. */
    void prune() {
        if (tokens.size() <= registry.all().size()) {
            return;
        }
        Set<String> known = ConcurrentHashMap.newKeySet();
        registry.all().forEach(t -> known.add(t.token()));
        tokens.entrySet().removeIf(e -> !known.contains(e.getKey()) && e.getValue().inFlight.get() == 0);
    }

    /** Keeps idle event streams open through proxies. */
    public void heartbeat() {
        events.heartbeat();
        prune();
    }

    @Override
    public void close() {
        try {
            events.closeAll();
        } catch (RuntimeException e) {
            log.debug("closing event streams: {}", e.toString());
        }
        metrics.close();
        try {
            audit.close();
        } catch (Exception e) {
            log.warn("closing the audit log: {}", e.toString());
        }
    }
}
