package io.wstunnel.app;

import io.wstunnel.cli.ProxyEnvironment;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The launcher's side of the tunnel proxy: {@code -proxy} validation, and the environment
 * (HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy, NO_PROXY) through the agent module's
 * {@link ProxyEnvironment}, with two additions: a loopback tunnel is never proxied (as Go's
 * ProxyFromEnvironment), and a bad proxy value is a one-line usage error naming the variable.
 */
final class EnvProxy {
    private static final String[] PROXY_VARS = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"};

    private EnvProxy() {
    }

    static Optional<URI> resolve(Map<String, String> env, URI tunnel) {
        String host = tunnel.getHost() == null ? "" : tunnel.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.equals("localhost") || host.startsWith("127.") || host.equals("::1")) {
            return Optional.empty();
        }
        String source = "proxy environment variable";
        for (String name : PROXY_VARS) {
            String v = env.get(name);
            if (v != null && !v.isBlank()) {
                source = name;
                break;
            }
        }
        URI proxy;
        try {
            proxy = ProxyEnvironment.resolve(env, tunnel);
        } catch (IllegalArgumentException e) {
            throw new UsageException(source + " is not a valid URL: " + withoutUserInfo(Main.describe(e)));
        }
        return proxy == null ? Optional.empty() : Optional.of(parseProxy(proxy.toString(), source));
    }

    /** http://[user:pass@]host[:port] (scheme optional). */
    static URI parseProxy(String value, String source) {
        String v = value.trim();
        if (!v.contains("://")) {
            v = "http://" + v;
        }
        URI u;
        try {
            u = new URI(v);
        } catch (URISyntaxException e) {
            throw new UsageException(source + " '" + withoutUserInfo(value) + "' is not a valid URL: " + e.getReason());
        }
        if (!"http".equalsIgnoreCase(u.getScheme())) {
            throw new UsageException(source + " must be an http:// proxy URL, got scheme '" + u.getScheme() + "'");
        }
        if (u.getHost() == null || u.getHost().isEmpty()) {
            throw new UsageException(source + " '" + withoutUserInfo(value) + "' has no host name");
        }
        return u;
    }

    /** For logs and messages: a proxy URL without its user:password. */
    static String withoutUserInfo(Object proxy) {
        String s = String.valueOf(proxy);
        return s.replaceFirst("//[^/@\\s]*@", "//***@");
    }
}
