package io.wstunnel.srv.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.SameThreadExecutor;
import io.wstunnel.srv.admin.ServerEvents;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.tunnel.TokenRegistry;
import io.wstunnel.srv.tunnel.Tunnel;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Entry point of every HTTP request. With a base path, everything lives under it: outside it there is
 * only Go's 404 (and a 301 from the bare base path to it with a slash). Under it: the reserved
 * endpoints, else a tunnelled request routed by {@code X-Token} or {@code /_token/<token>/rest}; the
 * agent sees the path relative to the base path (and to the token prefix).
 */
public final class Router implements HttpHandler {
    static final String TOKEN_PREFIX = "/_token/";
    /** Go's http.NotFound body: the answer to anything outside the base path (LEGACY.md §6). */
    static final String NOT_FOUND = "404 page not found\n";

    private final ServerConfig config;
    private final TokenRegistry registry;
    private final HttpHandler agentEndpoint;
    private final BooleanSupplier shuttingDown;
    private final RequestLog requestLog;
    private final AtomicLong ids = new AtomicLong();
    private final io.wstunnel.srv.admin.AdminHandler admin;
    private final ServerEvents events;
    private final io.wstunnel.srv.limits.RateLimiter rate;
    private final io.wstunnel.srv.admin.ClientAddress clients;

    public Router(ServerConfig config, TokenRegistry registry, HttpHandler agentEndpoint, BooleanSupplier shuttingDown,
                  RequestLog requestLog) {
        this(config, registry, agentEndpoint, shuttingDown, requestLog, null);
    }

    /** @param admin serves /_stats, /admin/* and /metrics; null = those paths are not reserved */
    public Router(ServerConfig config, TokenRegistry registry, HttpHandler agentEndpoint, BooleanSupplier shuttingDown,
                  RequestLog requestLog, io.wstunnel.srv.admin.AdminHandler admin) {
        this.admin = admin;
        this.events = requestLog.events();
        this.config = config;
        this.registry = registry;
        this.agentEndpoint = agentEndpoint;
        this.shuttingDown = shuttingDown;
        this.requestLog = requestLog;
        this.rate = new io.wstunnel.srv.limits.RateLimiter(config.limits().requestsPerSecond(), config.limits().requestBurst());
        this.clients = new io.wstunnel.srv.admin.ClientAddress(config.trustedProxies());
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        String raw = rawPath(exchange);
        String base = config.basePath();
        String rel = raw;
        if (!base.isEmpty()) {
            if (raw.equals(base)) {
                redirectIntoBasePath(exchange);
                return;
            }
            if (!raw.startsWith(base + "/")) {
                // Outside the base path nothing exists, reserved endpoints and X-Token requests alike (as Go's mux).
                refuse(exchange, null, raw, 404, "outside_base_path", NOT_FOUND);
                return;
            }
            rel = raw.substring(base.length());
        }
        if (rel.equals("/_health_check")) {
            PlainText.send(exchange, 200, "WSTUNSRV RUNNING\n");
            return;
        }
        if (admin != null && io.wstunnel.srv.admin.AdminHandler.serves(rel, exchange)) {
            admin.handle(exchange, rel);
            return;
        }
        if (rel.equals("/_tunnel")) {
            agentEndpoint.handleRequest(exchange);
            return;
        }
        if (admin != null && rel.startsWith(io.wstunnel.srv.streams.Tickets.PREFIX)) {
            ticket(exchange, rel, rel.substring(io.wstunnel.srv.streams.Tickets.PREFIX.length()));
            return;
        }
        if (rel.startsWith(TOKEN_PREFIX) || rel.equals("/_token")) {
            String afterPrefix = rel.length() > TOKEN_PREFIX.length() ? rel.substring(TOKEN_PREFIX.length()) : "";
            int slash = afterPrefix.indexOf('/');
            if (slash <= 0) {
                refuse(exchange, null, rel, 400, "missing_token_in_uri", "Missing token in URI");
                return;
            }
            route(exchange, afterPrefix.substring(0, slash), afterPrefix.substring(slash));
            return;
        }
        String token = exchange.getRequestHeaders().getFirst("X-Token");
        if (token == null || token.isEmpty()) {
            refuse(exchange, null, rel, 400, "missing_token", "Missing X-Token header");
            return;
        }
        route(exchange, token, rel);
    }

    /** @param path the path the agent would see (relative to the base path and the token) */
    private void route(HttpServerExchange exchange, String token, String path) throws Exception {
        if (shuttingDown.getAsBoolean()) {
            exchange.setPersistent(false);
            refuse(exchange, token, path, 503, "shutting_down", "Server is shutting down");
            return;
        }
        if (events.tokenBlocked(token)) {
            refuse(exchange, token, path, 403, "blocked", ServerEvents.BLOCKED_TEXT);
            return;
        }
        Tunnel tunnel = registry.get(token);
        if (tunnel == null) {
            refuse(exchange, token, path, 404, "unknown_token", TokenRegistry.UNKNOWN_TOKEN_TEXT);
            return;
        }
        if (tunnel.agentGone()) {
            refuse(exchange, token, path, io.wstunnel.srv.tunnel.NoAgent.STATUS, "no_agent", tunnel.noAgentText());
            return;
        }
        long retryAfter = rate.acquire(token);
        if (retryAfter > 0) {
            exchange.getResponseHeaders().put(io.undertow.util.Headers.RETRY_AFTER, retryAfter);
            refuse(exchange, token, path, 429, "rate_limited", "Too many requests for this tunnel (limit "
                    + config.limits().requestsPerSecond() + "/s), retry after " + retryAfter + " s");
            return;
        }
        long maxBody = config.limits().maxBodyBytes();
        if (maxBody > 0 && exchange.getRequestContentLength() > maxBody) {
            exchange.setPersistent(false);
            refuse(exchange, token, path, 413, "body_too_large", "Request body too large (limit " + maxBody + " bytes)");
            return;
        }
        String query = exchange.getQueryString();
        String target = query == null || query.isEmpty() ? path : path + "?" + query;
        io.wstunnel.protocol.RequestHead head = RequestHeads.build(exchange, target, fromTrustedProxy(exchange));
        String requestId = Long.toHexString(ids.incrementAndGet()); // one id per request, whatever it becomes
        if (io.wstunnel.srv.streams.StreamRoutes.route(exchange, tunnel, path, head,
                requestId, config.httpTimeout().toMillis(), config.settings().initialWindow(), requestLog)) {
            return; // WebSocket passthrough or /_tcp/<name>: a byte stream, not an HTTP exchange
        }
        CallerRequest request = new CallerRequest(exchange, tunnel, head,
                requestId, config.httpTimeout().toMillis(),
                config.settings().initialWindow(), requestLog, maxBody);
        exchange.dispatch(SameThreadExecutor.INSTANCE, request::start);
    }

    /** {@code /_ticket/<id>/rest}: a one-time ticket stands in for the token (see POST /admin/tickets). */
    private void ticket(HttpServerExchange exchange, String rel, String afterPrefix) throws Exception {
        int slash = afterPrefix.indexOf('/');
        String id = slash < 0 ? afterPrefix : afterPrefix.substring(0, slash);
        String rest = slash < 0 ? "" : afterPrefix.substring(slash);
        io.wstunnel.srv.streams.Tickets.Decision d = admin.tickets().use(id, rest,
                io.wstunnel.srv.streams.StreamRoutes.isWebSocketUpgrade(exchange), PlainText.remote(exchange));
        if (d instanceof io.wstunnel.srv.streams.Tickets.Decision.Granted g) {
            route(exchange, g.token(), g.path());
            return;
        }
        String reason = ((io.wstunnel.srv.streams.Tickets.Decision.Refused) d).reason();
        refuse(exchange, null, rel, 401, "ticket_refused", reason);
    }

    /**
     * Answers a request that goes no further than here: counted (admin statistics, metrics, audit) and
     * logged in one INFO line, as a completed request is, so refusals cannot outpace the access log.
     */
    private void refuse(HttpServerExchange exchange, String token, String path, int status, String reason, String text) {
        events.callerRefused(token, PlainText.remote(exchange), status, reason);
        requestLog.refused(token, exchange.getRequestMethod().toString(), path, status, reason);
        PlainText.send(exchange, status, text);
    }

    /** The base path itself, without its slash: Go's mux answers 301 to the base path with a slash. */
    private void redirectIntoBasePath(HttpServerExchange exchange) {
        String query = exchange.getQueryString();
        String to = config.basePath() + "/" + (query == null || query.isEmpty() ? "" : "?" + query);
        exchange.setStatusCode(301);
        exchange.getResponseHeaders().put(io.undertow.util.Headers.LOCATION, to);
        boolean get = exchange.getRequestMethod().equals(io.undertow.util.Methods.GET);
        if (get || exchange.getRequestMethod().equals(io.undertow.util.Methods.HEAD)) {
            exchange.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "text/html; charset=utf-8");
        }
        byte[] body = get ? ("<a href=\"" + htmlEscape(to) + "\">Moved Permanently</a>.\n\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8) : new byte[0];
        exchange.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_LENGTH, body.length);
        exchange.getResponseSender().send(java.nio.ByteBuffer.wrap(body));
    }

    private static String htmlEscape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&#34;")
                .replace("'", "&#39;");
    }

    /** True when the socket peer is one of {@code -trusted-proxies}: its X-Forwarded-* headers are believed. */
    private boolean fromTrustedProxy(HttpServerExchange exchange) {
        java.net.InetSocketAddress peer = exchange.getSourceAddress();
        return peer != null && peer.getAddress() != null && clients.isTrusted(peer.getAddress());
    }

    /** The request path as the caller sent it (still percent-encoded), without scheme and host. */
    static String rawPath(HttpServerExchange exchange) {
        String uri = exchange.getRequestURI();
        if (!uri.startsWith("/")) {
            int scheme = uri.indexOf("://");
            int slash = scheme < 0 ? -1 : uri.indexOf('/', scheme + 3);
            uri = slash < 0 ? "/" : uri.substring(slash);
        }
        return uri;
    }
}
