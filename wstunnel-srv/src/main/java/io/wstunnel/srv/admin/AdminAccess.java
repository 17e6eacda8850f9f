package io.wstunnel.srv.admin;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.wstunnel.srv.http.PlainText;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Who may use the admin endpoints: a local caller (loopback peer that named us by IP or localhost) or
 * the holder of the admin bearer token. Stateless apart from the hub's configuration.
 */
final class AdminAccess {
    private final AdminHub hub;

    AdminAccess(AdminHub hub) {
        this.hub = hub;
    }

    /** A local caller or a valid admin token: sees everything, including /_stats detail. */
    boolean trusted(HttpServerExchange exchange) {
        return localCaller(exchange) || bearerValid(exchange);
    }

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

    /** True if the caller may use admin endpoints; otherwise the refusal (401 or 403) is sent and audited. */
    boolean authorised(HttpServerExchange exchange, String rel) {
        if (trusted(exchange)) {
            return true;
        }
        if (hub.clientAddress.resolve(exchange).local()) {
            denied(AdminHub.hostPort(exchange.getSourceAddress()), 403, rel);
            PlainText.send(exchange, 403, "Admin endpoints must be called by IP address or localhost, not by a DNS name "
                    + "(DNS rebinding protection; or send the admin token)");
            return false;
        }
        String remote = AdminHub.hostPort(exchange.getSourceAddress());
        if (hub.config.adminToken().isEmpty()) {
            denied(remote, 403, rel);
            PlainText.send(exchange, 403, "Admin endpoints answer local callers only (start the server with "
                    + "-admin-token to allow others)");
            return false;
        }
        denied(remote, 401, rel);
        boolean sent = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION) != null;
        exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer realm=\"wstunnel-admin\"");
        PlainText.send(exchange, 401, sent ? "Invalid admin token" : "Admin token required (Authorization: Bearer ...)");
        return false;
    }

    /**
     * A browser on another origin posting here: its Origin differs from our Host ("null" included). A
     * browser or extension that strips Origin still gives it away by {@code Sec-Fetch-Site} (anything
     * but same-origin or none) or by a Referer on another host. Scripts send none of these: allowed.
     */
    static boolean crossOrigin(HttpServerExchange exchange) {
        String host = exchange.getRequestHeaders().getFirst(Headers.HOST);
        String origin = exchange.getRequestHeaders().getFirst(Headers.ORIGIN);
        if (origin != null) {
            return !sameHost(origin, host);
        }
        String site = exchange.getRequestHeaders().getFirst("Sec-Fetch-Site");
        if (site != null && !site.equalsIgnoreCase("same-origin") && !site.equalsIgnoreCase("none")) {
            return true;
        }
        String referer = exchange.getRequestHeaders().getFirst(Headers.REFERER);
        if (referer == null) {
            return false;
        }
        int scheme = referer.indexOf("://");
        int end = scheme < 0 ? -1 : referer.indexOf('/', scheme + 3);
        return scheme < 0 || !sameHost(referer.substring(0, end < 0 ? referer.length() : end), host);
    }

    /**
     * True if {@code scheme://host[:port]} names {@code host} (our Host header), a scheme's default port
     * written or not on either side ({@code http://localhost} is {@code localhost:80}). The scheme itself
     * is not compared: behind a TLS-terminating proxy the browser's origin is https and we see http.
     */
    static boolean sameHost(String origin, String host) {
        if (host == null) {
            return false;
        }
        int scheme = origin.indexOf("://");
        String originHost = scheme < 0 ? origin : origin.substring(scheme + 3);
        String defaultPort = origin.regionMatches(true, 0, "https://", 0, 8) ? ":443"
                : origin.regionMatches(true, 0, "http://", 0, 7) ? ":80" : null;
        return originHost.equalsIgnoreCase(host) || defaultPort != null
                && withoutSuffix(originHost, defaultPort).equalsIgnoreCase(withoutSuffix(host, defaultPort));
    }

    private static String withoutSuffix(String s, String suffix) {
        return s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
    }

    /** Counts and audits a refused admin request. */
    private void denied(String remote, int status, String path) {
        hub.reject(status == 401 ? "admin_unauthorized" : "admin_forbidden", null);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("remote_addr", remote);
        f.put("status", status);
        f.put("path", path);
        hub.audit.write("admin_denied", f);
    }
}
