package io.wstunnel.cli;

import java.net.URI;
import java.util.Locale;
import java.util.Map;

/**
 * Proxy from the environment, as the Go agent reads it: the first non-empty of HTTPS_PROXY,
 * https_proxy, HTTP_PROXY, http_proxy, unless NO_PROXY/no_proxy (comma list; "*" = everything;
 * an entry matches the host itself or any subdomain; "host:port" entries also match the port)
 * exempts the tunnel host. Pure: the caller passes {@code System.getenv()}.
 */
public final class ProxyEnvironment {
    private static final String[] PROXY_VARS = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"};

    private ProxyEnvironment() {
    }

    /** @return the proxy URI to dial {@code tunnel} through, or null for a direct connection */
    public static URI resolve(Map<String, String> env, URI tunnel) {
        String proxy = null;
        for (String v : PROXY_VARS) {
            String value = env.get(v);
            if (value != null && !value.isBlank()) {
                proxy = value.trim();
                break;
            }
        }
        if (proxy == null || exempt(firstNonBlank(env.get("NO_PROXY"), env.get("no_proxy")), tunnel)) {
            return null;
        }
        if (!proxy.contains("://")) {
            proxy = "http://" + proxy;
        }
        return URI.create(proxy);
    }

    private static boolean exempt(String noProxy, URI tunnel) {
        if (noProxy == null || tunnel.getHost() == null) {
            return false;
        }
        String host = stripBrackets(tunnel.getHost().toLowerCase(Locale.ROOT));
        int port = tunnel.getPort() > 0 ? tunnel.getPort() : defaultPort(tunnel.getScheme());
        for (String raw : noProxy.split(",")) {
            String entry = raw.trim().toLowerCase(Locale.ROOT);
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.equals("*")) {
                return true;
            }
            int entryPort = -1;
            int colon = entry.lastIndexOf(':');
            if (colon > 0 && entry.indexOf(':') == colon && entry.substring(colon + 1).chars().allMatch(Character::isDigit)) {
                entryPort = Integer.parseInt(entry.substring(colon + 1));
                entry = entry.substring(0, colon);
            }
            entry = stripBrackets(entry);
            if (entry.startsWith("*.")) {
                entry = entry.substring(1);
            }
            String bare = entry.startsWith(".") ? entry.substring(1) : entry;
            boolean hostMatches = host.equals(bare) || host.endsWith("." + bare);
            if (hostMatches && (entryPort < 0 || entryPort == port)) {
                return true;
            }
        }
        return false;
    }

    private static int defaultPort(String scheme) {
        return scheme != null && (scheme.equalsIgnoreCase("wss") || scheme.equalsIgnoreCase("https")) ? 443 : 80;
    }

    private static String stripBrackets(String h) {
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    private static String firstNonBlank(String a, String b) {
        return a != null && !a.isBlank() ? a : (b != null && !b.isBlank() ? b : null);
    }
}
