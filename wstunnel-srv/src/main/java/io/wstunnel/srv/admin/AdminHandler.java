package io.wstunnel.srv.admin;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.wstunnel.srv.http.PlainText;
import io.wstunnel.srv.tunnel.Tunnel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Serves {@code /_stats}, {@code /admin/*} and {@code /metrics} (paths relative to the base path).
 * Everything except {@code /_stats} requires a local caller or the admin bearer token; {@code /_stats}
 * is open but shows per-tunnel detail only to those.
 */
public final class AdminHandler implements HttpHandler {
    private final AdminHub hub;
    private final boolean adminHere;
    private final String base;
    private final byte[] uiPage;
    private final String apiDocs;

    /**
     * @param adminHere false on the main listener when the admin endpoints live on their own listener:
     *                  then only {@code /_stats} is served here and the rest is 404
     */
    public AdminHandler(AdminHub hub, boolean adminHere) {
        this.hub = hub;
        this.adminHere = adminHere;
        this.base = hub.config.basePath();
        this.uiPage = resource("admin/ui.html");
        this.apiDocs = new String(resource("admin/openapi.json"), StandardCharsets.UTF_8).replace("__BASE__", base);
    }

    private static byte[] resource(String name) {
        try (InputStream in = AdminHandler.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True if {@code rel} (a path relative to the base path) is served by this handler. */
    public static boolean serves(String rel, HttpServerExchange exchange) {
        return rel.equals("/_stats") || rel.equals("/admin") || rel.startsWith("/admin/")
                || (rel.equals("/metrics") && !exchange.getRequestHeaders().contains("X-Token"));
    }

    /** Handles {@code rel}, the request path relative to the base path. */
    public void handle(HttpServerExchange exchange, String rel) throws Exception {
        if (rel.equals("/_stats")) {
            stats(exchange);
            return;
        }
        if (!adminHere) {
            PlainText.send(exchange, 404, "404 page not found\n");
            return;
        }
        if (!authorised(exchange, rel)) {
            return;
        }
        switch (rel) {
            case "/metrics":
                send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", hub.metrics.scrape());
                return;
            case "/admin":
            case "/admin/":
                redirect(exchange);
                return;
            case "/admin/ui":
                ui(exchange);
                return;
            case "/admin/monitoring":
                if (getOnly(exchange)) {
                    json(exchange, monitoring());
                }
                return;
            case "/admin/auditing":
                if (getOnly(exchange)) {
                    json(exchange, auditing());
                }
                return;
            case "/admin/api-docs":
                if (getOnly(exchange)) {
                    send(exchange, 200, "application/json", apiDocs);
                }
                return;
            case "/admin/events":
                if (getOnly(exchange)) {
                    hub.events.subscribe(exchange, hub.recentEvents());
                }
                return;
            case "/admin/tickets":
                createTicket(exchange);
                return;
            default:
                action(exchange, rel);
        }
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        String raw = exchange.getRequestPath();
        String rel = base.isEmpty() ? raw : raw.startsWith(base + "/") ? raw.substring(base.length()) : raw;
        handle(exchange, rel);
    }

    // ------------------------------------------------------------------ access

    private boolean bearerValid(HttpServerExchange exchange) {
        String expected = hub.config.adminToken();
        if (expected.isEmpty()) {
            return false;
        }
        String auth = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(auth.substring(7).trim().getBytes(StandardCharsets.UTF_8),
                expected.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Local without a token: a loopback caller that named us by IP literal or "localhost". A DNS name
     * in Host from a loopback peer is what a DNS-rebinding page in the operator's browser would send.
     */
    private boolean localCaller(HttpServerExchange exchange) {
        return hub.clientAddress.resolve(exchange).local() && hostIsLocalName(exchange);
    }

    static boolean hostIsLocalName(HttpServerExchange exchange) {
        String host = exchange.getRequestHeaders().getFirst(Headers.HOST);
        if (host == null || host.isEmpty()) {
            return true; // HTTP/1.0 without Host: no browser sends that
        }
        String h = host;
        if (h.startsWith("[")) {
            return h.indexOf(']') > 0; // IPv6 literal
        }
        int colon = h.lastIndexOf(':');
        if (colon >= 0) {
            h = h.substring(0, colon);
        }
        h = h.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.endsWith(".localhost") || h.chars().allMatch(c -> c == '.' || Character.isDigit(c));
    }

    private boolean authorised(HttpServerExchange exchange, String rel) {
        if (localCaller(exchange) || bearerValid(exchange)) {
            return true;
        }
        if (hub.clientAddress.resolve(exchange).local()) {
            hub.adminDenied(AdminHub.hostPort(exchange.getSourceAddress()), 403, rel);
            PlainText.send(exchange, 403, "Admin endpoints must be called by IP address or localhost, not by a DNS name "
                    + "(DNS rebinding protection; or send the admin token)");
            return false;
        }
        String remote = AdminHub.hostPort(exchange.getSourceAddress());
        if (hub.config.adminToken().isEmpty()) {
            hub.adminDenied(remote, 403, rel);
            PlainText.send(exchange, 403, "Admin endpoints answer local callers only (start the server with "
                    + "-admin-token to allow others)");
            return false;
        }
        hub.adminDenied(remote, 401, rel);
        boolean sent = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION) != null;
        exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer realm=\"wstunnel-admin\"");
        PlainText.send(exchange, 401, sent ? "Invalid admin token" : "Admin token required (Authorization: Bearer ...)");
        return false;
    }

    private static boolean getOnly(HttpServerExchange exchange) {
        if (exchange.getRequestMethod().equals(Methods.GET) || exchange.getRequestMethod().equals(Methods.HEAD)) {
            return true;
        }
        PlainText.send(exchange, 405, "Only GET requests are supported");
        return false;
    }

    // ------------------------------------------------------------------ /_stats

    private void stats(HttpServerExchange exchange) {
        boolean detail = localCaller(exchange) || bearerValid(exchange);
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
                TokenStats ts = hub.tokens.get(t.token());
                List<AgentInfo> agents = new ArrayList<>(hub.agentsOf(t));
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
        byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
        exchange.getResponseSender().send(ByteBuffer.wrap(body));
    }

    /** Tunnels in the order their tokens were first seen. */
    private List<Tunnel> sortedTunnels() {
        hub.prune();
        List<Tunnel> l = new ArrayList<>(hub.registry.all());
        l.sort(Comparator.comparingLong(t -> {
            TokenStats ts = hub.tokens.get(t.token());
            return ts == null ? Long.MAX_VALUE : ts.seq;
        }));
        return l;
    }

    /** In-flight requests of a tunnel, oldest first. */
    private List<RequestInfo> activeOf(Tunnel t) {
        List<RequestInfo> l = new ArrayList<>();
        for (RequestInfo r : hub.active) {
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
        m.put("pending_requests", hub.active.size());
        m.put("completed_requests", hub.completed.sum());
        m.put("errored_requests", hub.errored.sum());
        // added fields
        m.put("start_time", hub.startTime.toString());
        m.put("connected_tunnels", tunnels.stream().filter(t -> t.agentCount() > 0).count());
        m.put("queued_requests", tunnels.stream().mapToInt(Tunnel::queued).sum());
        m.put("bytes_in", hub.bytesIn.sum());
        m.put("bytes_out", hub.bytesOut.sum());
        Map<String, Long> rejects = new TreeMap<>();
        hub.rejects.forEach((k, v) -> rejects.put(k, v.sum()));
        m.put("rejects", rejects);
        m.put("blocked_tokens", new ArrayList<>(new TreeMap<>(hub.blocked).keySet()));
        return m;
    }

    Map<String, Object> auditing() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("timestamp", Instant.now().toString());
        Map<String, Object> byId = new TreeMap<>();
        long nowNanos = System.nanoTime();
        Instant now = Instant.now();
        for (Tunnel t : sortedTunnels()) {
            TokenStats ts = hub.stats(t.token());
            List<AgentInfo> agents = new ArrayList<>(hub.agentsOf(t));
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
            e.put("blocked", hub.blocked.containsKey(ts.tokenId));
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

    // ------------------------------------------------------------------ actions

    private void action(HttpServerExchange exchange, String rel) {
        String[] parts = rel.split("/");
        // "", "admin", kind, id, verb
        if (parts.length != 5 || !(parts[2].equals("agents") || parts[2].equals("tokens"))) {
            PlainText.send(exchange, 404, "404 page not found\n");
            return;
        }
        if (!exchange.getRequestMethod().equals(Methods.POST)) {
            PlainText.send(exchange, 405, "Only POST requests are supported");
            return;
        }
        if (crossOrigin(exchange)) {
            PlainText.send(exchange, 403, "Cross-origin admin actions are refused");
            return;
        }
        String by = AdminHub.hostPort(exchange.getSourceAddress());
        String id = parts[3];
        Map<String, Object> out = new LinkedHashMap<>();
        if (parts[2].equals("agents") && parts[4].equals("disconnect")) {
            AgentInfo a = hub.disconnect(id, by);
            if (a == null) {
                PlainText.send(exchange, 404, "No connected agent with id " + id.replaceAll("[^A-Za-z0-9_-]", "?"));
                return;
            }
            out.put("disconnected", a.agentId());
            out.put("token_id", a.tokenId());
        } else if (parts[2].equals("tokens") && parts[4].equals("block")) {
            if (!id.matches("t-[0-9a-f]{16}")) {
                PlainText.send(exchange, 400, "Expected a token id (t- and 16 hex digits, see /admin/auditing)");
                return;
            }
            out.put("token_id", id);
            out.put("blocked", true);
            out.put("changed", hub.block(id, by));
        } else if (parts[2].equals("tokens") && parts[4].equals("unblock")) {
            out.put("token_id", id);
            out.put("blocked", false);
            out.put("changed", hub.unblock(id, by));
        } else {
            PlainText.send(exchange, 404, "404 page not found\n");
            return;
        }
        json(exchange, out);
    }

    // ------------------------------------------------------------------ one-time tickets

    /** One ticket store per hub, shared by the main and the admin listener's handlers and by the router. */
    private static final Map<AdminHub, io.wstunnel.srv.streams.Tickets> TICKETS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** The one-time tickets of this server ({@code POST /admin/tickets} creates, {@code /_ticket/...} uses). */
    public io.wstunnel.srv.streams.Tickets tickets() {
        return TICKETS.computeIfAbsent(hub, h -> new io.wstunnel.srv.streams.Tickets(h::event));
    }

    /** POST /admin/tickets {"token", "target": {"type", "pathPrefix" | "name"}, "ttlSeconds"}. */
    private void createTicket(HttpServerExchange exchange) {
        if (!exchange.getRequestMethod().equals(Methods.POST)) {
            PlainText.send(exchange, 405, "Only POST requests are supported");
            return;
        }
        if (crossOrigin(exchange)) {
            PlainText.send(exchange, 403, "Cross-origin admin actions are refused");
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
                PlainText.send(ex, 400, "Bad ticket request: " + e.getMessage()
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
                send(ex, 201, "application/json", AdminHub.JSON.writeValueAsString(out) + "\n");
            } catch (IOException e) {
                PlainText.send(ex, 500, "Cannot encode JSON");
            }
        }, (ex, e) -> PlainText.send(ex, 400, "Cannot read the ticket request: " + e.getMessage()));
    }

    /** A browser on another site posting here: its Origin differs from our Host. */
    private static boolean crossOrigin(HttpServerExchange exchange) {
        String origin = exchange.getRequestHeaders().getFirst(Headers.ORIGIN);
        if (origin == null) {
            return false;
        }
        String host = exchange.getRequestHeaders().getFirst(Headers.HOST);
        int scheme = origin.indexOf("://");
        String originHost = scheme < 0 ? origin : origin.substring(scheme + 3);
        return host == null || !originHost.equalsIgnoreCase(host);
    }

    // ------------------------------------------------------------------ output

    private void redirect(HttpServerExchange exchange) {
        String to = base + "/admin/ui";
        exchange.setStatusCode(307);
        exchange.getResponseHeaders().put(Headers.LOCATION, to);
        send(exchange, 307, "text/html; charset=utf-8", "<a href=\"" + to + "\">Temporary Redirect</a>.\n\n");
    }

    private void ui(HttpServerExchange exchange) {
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache, no-store, must-revalidate");
        exchange.getResponseHeaders().put(Headers.EXPIRES, "0");
        exchange.getResponseHeaders().put(Headers.PRAGMA, "no-cache");
        exchange.getResponseHeaders().put(Headers.X_CONTENT_TYPE_OPTIONS, "nosniff");
        exchange.getResponseHeaders().put(io.undertow.util.HttpString.tryFromString("Content-Security-Policy"),
                "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
                        + "img-src 'self' data:; frame-ancestors 'none'");
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/html; charset=utf-8");
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, uiPage.length);
        exchange.getResponseSender().send(ByteBuffer.wrap(uiPage));
    }

    private static void json(HttpServerExchange exchange, Map<String, Object> body) {
        try {
            exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
            send(exchange, 200, "application/json", AdminHub.JSON.writeValueAsString(body) + "\n");
        } catch (IOException e) {
            PlainText.send(exchange, 500, "Cannot encode JSON");
        }
    }

    private static void send(HttpServerExchange exchange, int status, String type, String text) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, type);
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
        exchange.getResponseSender().send(ByteBuffer.wrap(body));
    }

    /** "host:port", ":port" (all interfaces) or "[v6]:port". */
    public static java.net.InetSocketAddress parseListen(String s) {
        int colon = s.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("admin listen address must be host:port, got " + s);
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = Integer.parseInt(s.substring(colon + 1));
        return java.net.InetSocketAddress.createUnresolved(host.isEmpty() ? "0.0.0.0" : host, port);
    }

    static long secs(long nanos) {
        return TimeUnit.NANOSECONDS.toSeconds(nanos);
    }
}
