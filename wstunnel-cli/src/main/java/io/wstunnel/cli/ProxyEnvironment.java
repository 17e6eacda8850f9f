package io.wstunnel.cli;

import io.wstunnel.cli.net.AddressPolicy;
import java.net.InetAddress;
import java.net.URI;
import java.util.Locale;
import java.util.Map;

/**
 * Proxy from the environment, as the Go agent reads it: the first non-empty of HTTPS_PROXY,
 * https_proxy, HTTP_PROXY, http_proxy, unless NO_PROXY/no_proxy exempts the tunnel host. NO_PROXY
 * is a comma list: "*" = everything; a name matches the host itself or any subdomain; an IP address
 * matches that address; a CIDR ({@code 10.0.0.0/8}, {@code ::1/128}) matches IP-literal hosts in
 * it; "host:port" and "[v6]:port" entries also match the port. Pure: the caller passes
 * {@code System.getenv()}.
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
        InetAddress ip = AddressPolicy.literal(host).orElse(null);
        int port = tunnel.getPort() > 0 ? tunnel.getPort() : defaultPort(tunnel.getScheme());
        for (String raw : noProxy.split(",")) {
            String entry = raw.trim().toLowerCase(Locale.ROOT);
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.equals("*")) {
                return true;
            }
            if (entry.indexOf('/') >= 0) {
                // a CIDR (10.0.0.0/8, ::1/128): matches IP-literal tunnel hosts only, any port (as Go)
                if (ip != null && AddressPolicy.inRange(entry, ip)) {
                    return true;
                }
                continue;
            }
            int entryPort = -1;
            if (entry.startsWith("[")) {
                int close = entry.indexOf(']');
                String rest = close < 0 ? "" : entry.substring(close + 1);
                if (rest.startsWith(":") && isPort(rest.substring(1))) {
                    entryPort = Integer.parseInt(rest.substring(1));
                    entry = entry.substring(0, close + 1);
                }
            } else {
                int colon = entry.lastIndexOf(':');
                if (colon > 0 && entry.indexOf(':') == colon && isPort(entry.substring(colon + 1))) {
                    entryPort = Integer.parseInt(entry.substring(colon + 1));
                    entry = entry.substring(0, colon);
                }
            }
            entry = stripBrackets(entry);
            boolean portMatches = entryPort < 0 || entryPort == port;
            InetAddress entryIp = AddressPolicy.literal(entry).orElse(null);
            if (entryIp != null) {
                // an address matches the same address, however written (::1, 0:0::1)
                if (ip != null && ip.equals(entryIp) && portMatches) {
                    return true;
                }
                continue;
            }
            if (entry.startsWith("*.")) {
                entry = entry.substring(1);
            }
            String bare = entry.startsWith(".") ? entry.substring(1) : entry;
            boolean hostMatches = host.equals(bare) || host.endsWith("." + bare);
            if (hostMatches && portMatches) {
                return true;
            }
        }
        return false;
    }

    private static boolean isPort(String s) {
        return !s.isEmpty() && s.length() <= 5 && s.chars().allMatch(c -> c >= '0' && c <= '9');
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
