package io.wstunnel.srv.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.server.HttpHandler;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.tunnel.AgentConnection;
import io.wstunnel.srv.tunnel.TokenRegistry;
import io.wstunnel.srv.tunnel.Tunnel;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator side of the server: receives {@link ServerEvents} from the request path and the agent
 * endpoint and hands them to its parts: {@link TrafficStats} (counters behind /_stats and /admin/*),
 * {@link AgentDirectory} (connected agents), {@link Metrics}, the audit log, {@link EventFeed} (the
 * event stream) and {@link AdminControl} (blocked tokens; disconnect, block and unblock).
 */
public final class AdminHub implements ServerEvents, Tunnel.AgentListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminHub.class);
    static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_TOKEN_LABELS = 50;

    final ServerConfig config;
    volatile TokenRegistry registry = new TokenRegistry(1, 0);
    final ClientAddress clientAddress;
    final TrafficStats traffic = new TrafficStats();
    final AgentDirectory agents = new AgentDirectory();
    final AdminControl control = new AdminControl(this);
    final Metrics metrics;
    final AuditLog.Sink audit;
    final EventFeed events;
    final Instant startTime = Instant.now();

    /** Call {@link #attach} with the server's registry before serving. */
    public AdminHub(ServerConfig config) {
        this.config = config;
        this.clientAddress = new ClientAddress(config.trustedProxies());
        this.metrics = new Metrics(MAX_TOKEN_LABELS, () -> this.registry.all().size(),
                () -> this.registry.all().stream().filter(t -> t.agentCount() > 0).count(), agents::size,
                traffic.active::size, () -> this.registry.all().stream().mapToInt(Tunnel::queued).sum(),
                control.blocked::size);
        this.audit = config.auditLog().isEmpty() ? AuditLog.NONE : AuditLog.open(config.auditLog());
        this.events = new EventFeed(audit);
    }

    /**
     * The registry whose tunnels this hub reports on (it must have been built with this hub as listener);
     * its joins refuse blocked tokens from now on.
     */
    public void attach(TokenRegistry registry) {
        registry.gate(control::joinRefusal);
        this.registry = registry;
    }

    // ------------------------------------------------------------------ request path

    @Override
    public void requestStarted(RequestInfo r) {
        traffic.started(r);
    }

    @Override
    public void requestBytesIn(RequestInfo r, long n) {
        if (n <= 0) {
            return;
        }
        traffic.bytesIn(r, n);
        metrics.bytesIn(r.tunnel().token(), n);
    }

    @Override
    public void requestBytesOut(RequestInfo r, long n) {
        if (n <= 0) {
            return;
        }
        traffic.bytesOut(r, n);
        metrics.bytesOut(r.tunnel().token(), n);
    }

    @Override
    public void requestCompleted(RequestInfo r, int status, long in, long out, long millis) {
        TokenStats ts = traffic.completed(r, status);
        if (ts == null) {
            return; // not in flight (reported twice)
        }
        metrics.completed(r.tunnel().token(), status, r.stream() ? -1 : millis);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("token", ts.cut);
        f.put("token_id", ts.tokenId);
        f.put("agent_id", r.agentId.isEmpty() ? agents.soleAgentId(r.tunnel()) : r.agentId);
        f.put("request_id", r.requestId());
        f.put("method", r.method());
        f.put("path", r.uri());
        f.put("status", status);
        f.put("bytes_in", in);
        f.put("bytes_out", out);
        f.put("duration_ms", millis);
        f.put("caller", r.callerAddress());
        f.put("start_time", r.start().toString());
        if (r.closeCode() != 0) {
            f.put("close_code", r.closeCode());
        }
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
        return control.tokenBlocked(token);
    }

    /** Counts a refusal: server-wide, for the token if known, and in the metrics. */
    void reject(String reason, String token) {
        traffic.reject(reason, token);
        metrics.reject(reason);
    }

    static Map<String, Object> tokenFields(String token) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("token", token == null ? "" : TokenIds.cut(token));
        f.put("token_id", token == null ? "" : TokenIds.id(token));
        return f;
    }

    // ------------------------------------------------------------------ agents

    @Override
    public void added(Tunnel tunnel, AgentConnection agent) {
        agentConnected(tunnel, agent, AgentDirectory.protocolOf(agent),
                agent instanceof io.wstunnel.srv.agent.V2Session ? ((io.wstunnel.srv.agent.V2Session) agent).peerAddress() : null);
    }

    @Override
    public void removed(Tunnel tunnel, AgentConnection agent) {
        agentDisconnected(agent, "closed");
    }

    /** An agent socket finished its handshake and serves {@code tunnel}. */
    public void agentConnected(Tunnel tunnel, AgentConnection a, String protocol, InetSocketAddress peer) {
        TokenStats ts = traffic.stats(tunnel.token());
        String addr = peer == null ? a.remoteAddress() : hostPort(peer);
        AgentInfo info = agents.add(tunnel, a, protocol, addr);
        ts.lastAgentAddress = addr;
        ts.lastClientVersion = info.clientVersion();
        boolean reconnect = ts.connects.getAndIncrement() > 0;
        metrics.agentConnected(reconnect);
        Map<String, Object> f = agentFields(info);
        f.put("reconnect", reconnect);
        events.publish("agent_connected", f);
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
        events.publish("agent_disconnected", f);
    }

    /**
     * Wraps the agent endpoint: refuses blocked tokens first, and reports every refusal (the status of
     * an upgrade request that did not become a socket).
     */
    public HttpHandler observeAgents(HttpHandler agentEndpoint) {
        return control.observeAgents(agentEndpoint);
    }

    /** An agent refused after its 101 (see AgentEndpoint.SessionTracker#refusedLate): counted as a handshake refusal is. */
    public void agentRefusedLate(String token, String remote, int status) {
        control.agentRefused(token, remote, status);
    }

    static Map<String, Object> agentFields(AgentInfo info) {
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

    /** Drops statistics of tokens the registry forgot and that have nothing in flight. */
    void prune() {
        traffic.prune(registry);
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
