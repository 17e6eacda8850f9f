package io.wstunnel.cli.net;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.protocol.Subprotocol;
import java.net.Authenticator;
import java.net.InetSocketAddress;
import java.net.PasswordAuthentication;
import java.net.ProxySelector;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens tunnel WebSockets with the JDK client: URI, handshake headers, TLS, CONNECT proxy. */
public final class TunnelDialer {
    private static final Logger log = LoggerFactory.getLogger(TunnelDialer.class);

    private final AgentConfig config;
    private final URI uri;
    private final HttpClient client;

    public TunnelDialer(AgentConfig config, Executor executor) {
        this.config = config;
        this.uri = tunnelUri(config.tunnel());
        HttpClient.Builder b = HttpClient.newBuilder().executor(executor).connectTimeout(config.dialTimeout());
        if (config.insecure()) {
            log.warn(insecureWarning(uri));
        }
        if (uri.getScheme().equals("wss")) {
            javax.net.ssl.KeyManager[] keys = null;
            if (config.tlsClientCert() != null) {
                keys = ClientCertificate.keyManagers(config.tlsClientCert(), config.tlsClientKey());
                log.info("Presenting client certificate {} ({}) to the tunnel server",
                        config.tlsClientCert(), ClientCertificate.subject(config.tlsClientCert()));
            }
            if (config.insecure() || config.certFile() != null || keys != null) {
                b.sslContext(TlsContexts.create(config.insecure(), config.certFile(), keys));
            }
        } else if (config.tlsClientCert() != null) {
            log.warn("-tls-client-cert is ignored: the tunnel {} is not wss://", uri);
        }
        URI proxy = config.proxy();
        if (proxy != null) {
            if (!"".equals(System.getProperty(JdkClientProperties.TUNNELING_DISABLED_SCHEMES))) {
                log.warn("System property {} is not empty: Basic authentication toward the proxy may be refused by the JDK",
                        JdkClientProperties.TUNNELING_DISABLED_SCHEMES);
            }
            int port = proxy.getPort() > 0 ? proxy.getPort() : 80;
            b.proxy(ProxySelector.of(InetSocketAddress.createUnresolved(proxy.getHost(), port)));
            String userInfo = proxy.getRawUserInfo();
            if (userInfo != null && !userInfo.isEmpty()) {
                int colon = userInfo.indexOf(':');
                String user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
                char[] pass = decode(colon < 0 ? "" : userInfo.substring(colon + 1)).toCharArray();
                b.authenticator(new Authenticator() {
                    @Override
                    protected PasswordAuthentication getPasswordAuthentication() {
                        return getRequestorType() == RequestorType.PROXY ? new PasswordAuthentication(user, pass) : null;
                    }
                });
            }
            log.info("Dialing the tunnel through proxy {}:{}", proxy.getHost(), port);
        }
        this.client = b.build();
    }

    /** The one warning -insecure logs when the agent starts (it covers the tunnel and local https targets). */
    public static String insecureWarning(URI tunnel) {
        return "********** -insecure: TLS certificates are NOT verified, neither the tunnel server's (" + tunnel
                + ") nor those of local https targets. Anyone on the network path can read and change the "
                + "traffic and impersonate the server. Use -certfile to trust a private CA instead. **********";
    }

    public URI uri() {
        return uri;
    }

    /** Where a dial connects first: the proxy when there is one, else the server (unresolved). */
    public InetSocketAddress firstHop() {
        URI proxy = config.proxy();
        if (proxy != null) {
            return InetSocketAddress.createUnresolved(proxy.getHost(), proxy.getPort() > 0 ? proxy.getPort() : 80);
        }
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        int port = uri.getPort() > 0 ? uri.getPort() : uri.getScheme().equals("wss") ? 443 : 80;
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** Whether {@link #firstHop} is a proxy. */
    public boolean proxied() {
        return config.proxy() != null;
    }

    /** Starts the opening handshake; the listener gets onOpen before the future completes. */
    public CompletableFuture<WebSocket> dial(WebSocket.Listener listener) {
        WebSocket.Builder b = client.newWebSocketBuilder();
        if (config.protocol() != AgentConfig.Protocol.LEGACY) {
            // AUTO and V2 offer wstunnel.v2; a Go server selects nothing and AUTO falls back to legacy framing.
            b.subprotocols(Subprotocol.V2);
        }
        b.connectTimeout(config.dialTimeout())
                .header("Origin", config.token())
                .header("X-Client-Version", config.clientVersion());
        boolean tokenPassword = config.password() != null && !config.password().isEmpty();
        if (tokenPassword) {
            b.header("Authorization", basic(config.token() + ":" + config.password()));
        }
        // As the Go agent: credentials in -tunnel (ws://user:pass@host, for a proxy in front of the
        // server) go in Authorization, or in X-Tunnel-Authorization when the token has a password.
        String userInfo = config.tunnel().getUserInfo();
        if (userInfo != null && !userInfo.isEmpty()) {
            b.header(tokenPassword ? "X-Tunnel-Authorization" : "Authorization", basic(userInfo));
        }
        return b.buildAsync(uri, listener);
    }

    private static String basic(String credentials) {
        return "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
    }

    /** ws://h:p/base → ws://h:p/base/_tunnel; http(s) is accepted as ws(s). */
    public static URI tunnelUri(URI tunnel) {
        String scheme = tunnel.getScheme() == null ? "ws" : tunnel.getScheme().toLowerCase(java.util.Locale.ROOT);
        scheme = switch (scheme) {
            case "http" -> "ws";
            case "https" -> "wss";
            default -> scheme;
        };
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            throw new IllegalArgumentException("tunnel must be ws:// or wss://, not " + tunnel);
        }
        String path = tunnel.getRawPath() == null ? "" : tunnel.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        // Credentials in -tunnel travel as a header (see dial), never in the dialed URI.
        String authority = tunnel.getRawAuthority();
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            authority = authority.substring(at + 1);
        }
        return URI.create(scheme + "://" + authority + path + "/_tunnel");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
