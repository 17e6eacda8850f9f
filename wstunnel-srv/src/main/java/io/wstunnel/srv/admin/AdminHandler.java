package io.wstunnel.srv.admin;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.wstunnel.srv.http.PlainText;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

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
    private final String uiPolicy;
    private final String apiDocs;
    private final AdminAccess access;
    private final AdminReports reports;
    private final AdminActions actions;

    /**
     * @param adminHere false on the main listener when the admin endpoints live on their own listener:
     *                  then only {@code /_stats} is served here and the rest is 404
     */
    public AdminHandler(AdminHub hub, boolean adminHere) {
        this.hub = hub;
        this.adminHere = adminHere;
        this.base = hub.config.basePath();
        this.uiPage = resource("admin/ui.html");
        this.uiPolicy = pagePolicy(uiPage);
        this.apiDocs = new String(resource("admin/openapi.json"), StandardCharsets.UTF_8).replace("__BASE__", base);
        this.access = new AdminAccess(hub);
        this.reports = new AdminReports(hub);
        this.actions = new AdminActions(hub, base);
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
        if (!access.authorised(exchange, rel)) {
            return;
        }
        switch (rel) {
            case "/metrics":
                exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
                AdminOutput.send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", hub.metrics.scrape());
                return;
            case "/admin":
            case "/admin/":
                redirect(exchange);
                return;
            case "/admin/ui":
                if (getOnly(exchange)) {
                    ui(exchange);
                }
                return;
            case "/admin/monitoring":
                if (getOnly(exchange)) {
                    AdminOutput.json(exchange, reports.monitoring());
                }
                return;
            case "/admin/auditing":
                if (getOnly(exchange)) {
                    AdminOutput.json(exchange, reports.auditing());
                }
                return;
            case "/admin/api-docs":
                if (getOnly(exchange)) {
                    AdminOutput.send(exchange, 200, "application/json", apiDocs);
                }
                return;
            case "/admin/events":
                if (getOnly(exchange)) {
                    hub.events.subscribe(exchange);
                }
                return;
            case "/admin/tickets":
                actions.createTicket(exchange);
                return;
            default:
                actions.action(exchange, rel);
        }
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        String raw = exchange.getRequestPath();
        String rel = base.isEmpty() ? raw : raw.startsWith(base + "/") ? raw.substring(base.length()) : raw;
        handle(exchange, rel);
    }

    /** The one-time tickets of this server ({@code POST /admin/tickets} creates, {@code /_ticket/...} uses). */
    public io.wstunnel.srv.streams.Tickets tickets() {
        return actions.tickets();
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
        boolean detail = access.trusted(exchange);
        byte[] body = reports.stats(detail).getBytes(StandardCharsets.UTF_8);
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, body.length);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
        exchange.getResponseHeaders().put(Headers.X_CONTENT_TYPE_OPTIONS, "nosniff");
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        exchange.getResponseSender().send(ByteBuffer.wrap(body));
    }

    // ------------------------------------------------------------------ output

    private void redirect(HttpServerExchange exchange) {
        String to = base + "/admin/ui";
        exchange.setStatusCode(307);
        exchange.getResponseHeaders().put(Headers.LOCATION, to);
        AdminOutput.send(exchange, 307, "text/html; charset=utf-8", "<a href=\"" + to + "\">Temporary Redirect</a>.\n\n");
    }

    private void ui(HttpServerExchange exchange) {
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache, no-store, must-revalidate");
        exchange.getResponseHeaders().put(Headers.EXPIRES, "0");
        exchange.getResponseHeaders().put(Headers.PRAGMA, "no-cache");
        exchange.getResponseHeaders().put(Headers.X_CONTENT_TYPE_OPTIONS, "nosniff");
        exchange.getResponseHeaders().put(Headers.X_FRAME_OPTIONS, "DENY");
        exchange.getResponseHeaders().put(io.undertow.util.HttpString.tryFromString("Content-Security-Policy"), uiPolicy);
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/html; charset=utf-8");
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, uiPage.length);
        exchange.getResponseSender().send(ByteBuffer.wrap(uiPage));
    }

    /**
     * The dashboard's Content-Security-Policy: its one inline script runs by hash, so markup that ever got
     * into the page could not run script; it may only fetch from its own origin and cannot be framed.
     */
    static String pagePolicy(byte[] page) {
        String html = new String(page, StandardCharsets.UTF_8);
        int open = html.indexOf("<script>") + "<script>".length();
        int close = html.indexOf("</script>", open);
        if (open < "<script>".length() || close < 0 || html.indexOf("<script", close) >= 0) {
            throw new IllegalStateException("admin/ui.html must hold exactly one inline <script>");
        }
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(html.substring(open, close).getBytes(StandardCharsets.UTF_8));
            return "default-src 'none'; script-src 'sha256-" + java.util.Base64.getEncoder().encodeToString(digest)
                    + "'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                    + "form-action 'none'; frame-ancestors 'none'";
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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
}
