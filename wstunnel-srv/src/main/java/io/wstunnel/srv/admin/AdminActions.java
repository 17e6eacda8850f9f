package io.wstunnel.srv.admin;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.wstunnel.srv.http.PlainText;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The state-changing admin endpoints: POST /admin/agents/{id}/disconnect, /admin/tokens/{id}/block|unblock
 * and /admin/tickets. All are POST-only and refuse cross-origin browsers; the caller was authorised by
 * {@link AdminHandler}.
 */
final class AdminActions {
    private final AdminHub hub;
    private final String base;

    AdminActions(AdminHub hub, String base) {
        this.hub = hub;
        this.base = base;
    }

    void action(HttpServerExchange exchange, String rel) {
        String[] parts = rel.split("/");
        // "", "admin", kind, id, verb
        if (parts.length != 5 || !(parts[2].equals("agents") || parts[2].equals("tokens"))) {
            PlainText.send(exchange, 404, "404 page not found\n");
            return;
        }
        if (!postFromSameOrigin(exchange)) {
            return;
        }
        String by = AdminHub.hostPort(exchange.getSourceAddress());
        String id = parts[3];
        Map<String, Object> out = new LinkedHashMap<>();
        if (parts[2].equals("agents") && parts[4].equals("disconnect")) {
            AgentInfo a = hub.control.disconnect(id, by);
            if (a == null) {
                PlainText.send(exchange, 404, "No connected agent with id " + id.replaceAll("[^A-Za-z0-9_-]", "?"));
                return;
            }
            out.put("disconnected", a.agentId());
            out.put("token_id", a.tokenId());
        } else if (parts[2].equals("tokens") && (parts[4].equals("block") || parts[4].equals("unblock"))) {
            if (!id.matches("t-[0-9a-f]{16}")) {
                PlainText.send(exchange, 400, "Expected a token id (t- and 16 hex digits, see /admin/auditing)");
                return;
            }
            boolean block = parts[4].equals("block");
            out.put("token_id", id);
            out.put("blocked", block);
            out.put("changed", block ? hub.control.block(id, by) : hub.control.unblock(id, by));
        } else {
            PlainText.send(exchange, 404, "404 page not found\n");
            return;
        }
        AdminOutput.json(exchange, out);
    }

    // ------------------------------------------------------------------ one-time tickets

    /** One ticket store per hub, shared by the main and the admin listener's handlers and by the router. */
    private static final Map<AdminHub, io.wstunnel.srv.streams.Tickets> TICKETS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** The one-time tickets of this server ({@code POST /admin/tickets} creates, {@code /_ticket/...} uses). */
    io.wstunnel.srv.streams.Tickets tickets() {
        return TICKETS.computeIfAbsent(hub, h -> new io.wstunnel.srv.streams.Tickets(h.events::publish));
    }

    /** POST /admin/tickets {"token", "target": {"type", "pathPrefix" | "name"}, "ttlSeconds"}. */
    void createTicket(HttpServerExchange exchange) {
        if (!postFromSameOrigin(exchange)) {
            return;
        }
        exchange.setMaxEntitySize(16 * 1024);
        String by = AdminHub.hostPort(exchange.getSourceAddress());
        exchange.getRequestReceiver().receiveFullBytes((ex, bytes) -> {
            io.wstunnel.srv.streams.Tickets.Ticket t;
            try {
                com.fasterxml.jackson.databind.JsonNode root = AdminHub.JSON.readTree(bytes);
                if (root == null || !root.isObject()) {
                    throw new IllegalArgumentException("expected a JSON object");
                }
                com.fasterxml.jackson.databind.JsonNode target = root.path("target");
                String prefix = target.hasNonNull("pathPrefix") ? target.get("pathPrefix").asText()
                        : target.hasNonNull("path-prefix") ? target.get("path-prefix").asText() : target.path("path").asText("/");
                io.wstunnel.srv.streams.Tickets.Type type = io.wstunnel.srv.streams.Tickets.Type.parse(target.path("type").asText("http"));
                t = tickets().create(root.path("token").asText(""), type,
                        type == io.wstunnel.srv.streams.Tickets.Type.TCP ? target.path("name").asText("") : prefix,
                        java.time.Duration.ofSeconds(root.path("ttlSeconds").asLong(60)), by);
            } catch (IOException | IllegalArgumentException e) {
                PlainText.send(ex, 400, "Bad ticket request: " + badTicketReason(e)
                        + " (expected {\"token\": \"...\", \"target\": {\"type\": \"http|websocket|tcp\", "
                        + "\"pathPrefix\": \"/...\" or \"name\": \"...\"}, \"ttlSeconds\": 60})");
                return;
            }
            String path = base + t.path();
            boolean tls = ex.getRequestScheme().equals("https");
            String scheme = t.type() == io.wstunnel.srv.streams.Tickets.Type.HTTP ? (tls ? "https" : "http") : (tls ? "wss" : "ws");
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("path", path);
            out.put("url", scheme + "://" + ex.getHostAndPort() + path);
            out.put("expires", Instant.ofEpochMilli(t.expiresEpochMillis()).toString());
            out.put("type", t.type().name().toLowerCase(Locale.ROOT));
            out.put("target", t.target());
            out.put("token_id", TokenIds.id(t.token()));
            try {
                ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
                AdminOutput.send(ex, 201, "application/json", AdminHub.JSON.writeValueAsString(out) + "\n");
            } catch (IOException e) {
                PlainText.send(ex, 500, "Cannot encode JSON");
            }
        }, (ex, e) -> PlainText.send(ex, 400, "Cannot read the ticket request: "
                + (e instanceof io.undertow.server.RequestTooBigException ? "larger than 16384 bytes" : "the body could not be read")));
    }

    /** Our own messages as they are; a JSON parser's only as where it failed (they name Java classes and options). */
    private static String badTicketReason(Exception e) {
        if (!(e instanceof com.fasterxml.jackson.core.JsonProcessingException json)) {
            return e.getMessage();
        }
        com.fasterxml.jackson.core.JsonLocation at = json.getLocation();
        return "not valid JSON" + (at == null || at.getLineNr() < 1 ? ""
                : " at line " + at.getLineNr() + ", column " + at.getColumnNr());
    }

    /** True for a POST that is not cross-origin; otherwise 405 or 403 has been sent. */
    private static boolean postFromSameOrigin(HttpServerExchange exchange) {
        if (!exchange.getRequestMethod().equals(Methods.POST)) {
            PlainText.send(exchange, 405, "Only POST requests are supported");
            return false;
        }
        if (AdminAccess.crossOrigin(exchange)) {
            PlainText.send(exchange, 403, "Cross-origin admin actions are refused");
            return false;
        }
        return true;
    }
}
