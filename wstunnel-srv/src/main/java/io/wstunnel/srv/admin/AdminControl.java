package io.wstunnel.srv.admin;

import io.undertow.server.HttpHandler;
import io.undertow.util.Headers;
import io.wstunnel.srv.http.PlainText;
import io.wstunnel.srv.tunnel.AgentConnection;
import io.wstunnel.srv.tunnel.CallerStream;
import io.wstunnel.srv.tunnel.TokenRegistry;
import io.wstunnel.srv.tunnel.Tunnel;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Operator control of agents and tokens: the blocked tokens, refusing them at the agent endpoint,
 * reporting refused agent upgrades, and the disconnect, block and unblock actions (each published as
 * an event). The blocked set is a concurrent map, read on every caller request and agent upgrade.
 *
 * <p>Invariant: no agent stays joined to a blocked token. A token is added to the set atomically with
 * respect to joins ({@link TokenRegistry#closingGate}) and every join asks {@link #joinRefusal} first,
 * so an agent that passed the upgrade's early check joins either before the block (and is disconnected
 * by it) or after (and is refused: close 1008 with the 403's text).
 */
final class AdminControl {
    static final String BLOCKED_TEXT = ServerEvents.BLOCKED_TEXT;
    /** The late refusal of an agent whose token was blocked between its upgrade's check and its join. */
    static final TokenRegistry.Refusal BLOCKED = new TokenRegistry.Refusal(403, 1008, BLOCKED_TEXT);
    /** token id → when it was blocked. */
    final ConcurrentHashMap<String, Instant> blocked = new ConcurrentHashMap<>();
    private final AdminHub hub;

    AdminControl(AdminHub hub) {
        this.hub = hub;
    }

    boolean tokenBlocked(String token) {
        return !blocked.isEmpty() && token != null && blocked.containsKey(TokenIds.id(token));
    }

    /** The registry's {@link TokenRegistry.Gate}: blocked tokens are refused at join. */
    TokenRegistry.Refusal joinRefusal(String token) {
        return tokenBlocked(token) ? BLOCKED : null;
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
        hub.reject(reason, token);
        Map<String, Object> f = AdminHub.tokenFields(token);
        f.put("remote_addr", remote);
        f.put("status", status);
        f.put("reason", reason);
        hub.events.publish(event, f);
    }

    /**
     * Wraps the agent endpoint: refuses blocked tokens first, and reports every refusal (the status of
     * an upgrade request that did not become a socket).
     */
    HttpHandler observeAgents(HttpHandler agentEndpoint) {
        return exchange -> {
            String token = exchange.getRequestHeaders().getFirst(Headers.ORIGIN);
            String remote = AdminHub.hostPort(exchange.getSourceAddress());
            if (tokenBlocked(token)) {
                agentRefused(token, remote, 403);
                PlainText.send(exchange, 403, BLOCKED_TEXT);
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

    // ------------------------------------------------------------------ admin actions

    /** @return the agent, or null if no agent has this id */
    AgentInfo disconnect(String agentId, String by) {
        for (AgentInfo info : hub.agents.tracked()) {
            if (info.agentId().equals(agentId)) {
                Map<String, Object> f = AdminHub.agentFields(info);
                f.put("action", "disconnect_agent");
                f.put("by", by);
                hub.events.publish("admin_action", f);
                info.connection().goAway("disconnected by the server administrator");
                info.connection().abort("disconnected by the server administrator");
                hub.agentDisconnected(info.connection(), "disconnected by the server administrator");
                return info;
            }
        }
        for (Tunnel t : hub.registry.all()) {
            for (AgentConnection a : t.agents()) {
                AgentInfo info = AgentDirectory.untracked(t, a);
                if (info.agentId().equals(agentId)) {
                    Map<String, Object> f = AdminHub.agentFields(info);
                    f.put("action", "disconnect_agent");
                    f.put("by", by);
                    hub.events.publish("admin_action", f);
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
        // After this, a join in progress has added its agent (the loop below finds it) or will be refused.
        boolean fresh = hub.registry.closingGate(() -> blocked.putIfAbsent(tokenId, Instant.now()) == null);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("token_id", tokenId);
        f.put("by", by);
        f.put("changed", fresh);
        for (Tunnel t : hub.registry.all()) {
            if (TokenIds.id(t.token()).equals(tokenId)) {
                f.put("token", TokenIds.cut(t.token()));
                for (CallerStream c : t.drainQueue()) {
                    c.fail(403, BLOCKED_TEXT);
                }
                for (AgentConnection a : t.agents()) {
                    a.goAway("token blocked");
                    a.abort("token blocked");
                    hub.agentDisconnected(a, "token blocked");
                }
            }
        }
        hub.events.publish("token_blocked", f);
        return fresh;
    }

    boolean unblock(String tokenId, String by) {
        boolean changed = blocked.remove(tokenId) != null;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("token_id", tokenId);
        f.put("by", by);
        f.put("changed", changed);
        hub.events.publish("token_unblocked", f);
        return changed;
    }
}
