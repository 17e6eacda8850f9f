package io.wstunnel.cli.local;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/** Where a tunnelled request goes: the decision of LEGACY.md §5, as data. */
public sealed interface Target {

    /** Forward to {@code scheme://host[:port]path}; {@code url} is that for display, without any user info of the target. */
    record Forward(String scheme, String host, int port, String path, String url) implements Target { }

    /** Answer locally with {@code status} and a text/plain {@code message}; the local service is not contacted. */
    record Refuse(int status, String message) implements Target { }

    /**
     * @param xHost       the request's X-Host value, or null
     * @param server      -server, or null
     * @param hostPattern -regexp, or null
     * @param requestTarget origin-form path and query, e.g. "/a?b"
     */
    static Target resolve(String xHost, URI server, Pattern hostPattern, String requestTarget) {
        String base;
        if (xHost != null) {
            if (hostPattern == null) {
                return new Refuse(403, "X-Host header disallowed by wstunnel cli (no -regexp option)");
            }
            String why = xHostExtras(xHost);
            if (why != null) {
                // never meaningful for a target, and checked before -regexp: the classic way past a loose one
                // ('http://allowed.example@evil'); the value is not echoed: user info may hold a password
                return new Refuse(502, "wstunnel cli: invalid target in X-Host: " + why
                        + " (need http[s]://host[:port][/prefix])");
            }
            if (!hostPattern.matcher(xHost).matches()) {
                return new Refuse(403, "X-Host header '" + xHost + "' does not match regexp in wstunnel cli");
            }
            base = xHost;
        } else if (server == null) {
            return new Refuse(403, "X-Host header required by wstunnel cli (no -server option)");
        } else {
            base = server.toString();
        }
        return forward(base, requestTarget);
    }

    /** What an X-Host value carries besides http[s]://host[:port][/prefix], or null (unparsable values fail later). */
    private static String xHostExtras(String xHost) {
        URI u;
        try {
            u = new URI(xHost);
        } catch (URISyntaxException e) {
            return null;
        }
        if (u.getRawUserInfo() != null || u.getRawAuthority() != null && u.getRawAuthority().contains("@")) {
            return "user info is not allowed";
        }
        if (u.getRawQuery() != null || u.getRawFragment() != null) {
            return "a query or fragment is not allowed";
        }
        return null;
    }

    private static Target forward(String base, String requestTarget) {
        try {
            URI u = new URI(base);
            String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (u.getHost() == null || !("http".equals(scheme) || "https".equals(scheme))) {
                return new Refuse(502, "wstunnel cli: invalid target '" + base + "' (need http[s]://host[:port][/prefix])");
            }
            String prefix = u.getRawPath() == null ? "" : u.getRawPath();
            if (prefix.endsWith("/") && requestTarget.startsWith("/")) {
                prefix = prefix.substring(0, prefix.length() - 1);
            }
            String path = prefix + requestTarget;
            if (!path.startsWith("/")) {
                path = "/" + path;
            }
            // The URL is only ever shown (502 texts, logs): never with the user info -server may carry.
            String authority = u.getRawAuthority();
            authority = authority.substring(authority.lastIndexOf('@') + 1);
            return new Forward(scheme, u.getHost(), u.getPort(), path, scheme + "://" + authority + path);
        } catch (URISyntaxException e) {
            return new Refuse(502, "wstunnel cli: invalid target '" + base + "': " + e.getMessage());
        }
    }
}
