package io.wstunnel.app;

import io.wstunnel.cli.ProxyEnvironment;
import io.wstunnel.cli.net.AddressPolicy;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The launcher's side of the tunnel proxy: {@code -proxy} validation, and the environment
 * (HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy, NO_PROXY) through the agent module's
 * {@link ProxyEnvironment}, with two additions: a loopback tunnel is never proxied by the environment
 * (as Go's ProxyFromEnvironment; an explicit -proxy applies to every tunnel), and a bad proxy value is
 * a one-line usage error naming the variable.
 */
final class EnvProxy {
    private static final String[] PROXY_VARS = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"};

    private EnvProxy() {
    }

    static Optional<URI> resolve(Map<String, String> env, URI tunnel) {
        if (isLoopback(tunnel)) {
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

    /** localhost, 127.0.0.0/8 and ::1 (in any spelling): never dialed through a proxy from the environment. */
    static boolean isLoopback(URI tunnel) {
        String host = tunnel.getHost() == null ? "" : tunnel.getHost().toLowerCase(Locale.ROOT);
        return host.equals("localhost")
                || AddressPolicy.literal(host).map(InetAddress::isLoopbackAddress).orElse(false);
    }

    /** A proxy variable's value: http://[user:pass@]host[:port], the scheme optional as in Go. */
    static URI parseProxy(String value, String source) {
        String v = value.trim();
        return checkProxy(v.contains("://") ? v : "http://" + v, value, source);
    }

    /** {@code -proxy}: exactly http://[user:pass@]host[:port] (a trailing "/" allowed). */
    static URI parseProxyOption(String value) {
        String v = value.trim();
        if (!v.regionMatches(true, 0, "http://", 0, "http://".length())) {
            throw new UsageException("-proxy must be an http:// proxy URL, http://[user:pass@]host[:port], got '"
                    + withoutUserInfo(value) + "'");
        }
        URI u = checkProxy(v, value, "-proxy");
        if (!(u.getRawPath() == null || u.getRawPath().isEmpty() || u.getRawPath().equals("/"))
                || u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new UsageException("-proxy takes no path, query or fragment: http://[user:pass@]host[:port], got '"
                    + withoutUserInfo(value) + "'");
        }
        return u;
    }

    private static URI checkProxy(String v, String value, String source) {
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
        if (u.getPort() == 0 || u.getPort() > 65535) {
            throw new UsageException(source + " '" + withoutUserInfo(value) + "': port must be 1..65535");
        }
        return u;
    }

    /** For logs and messages: a proxy URL without its user:password. */
    static String withoutUserInfo(Object proxy) {
        String s = String.valueOf(proxy);
        return s.replaceFirst("//[^/@\\s]*@", "//***@");
    }
}
