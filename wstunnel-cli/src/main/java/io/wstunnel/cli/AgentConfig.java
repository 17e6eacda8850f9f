package io.wstunnel.cli;

import io.wstunnel.protocol.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything `wstunnel cli` can be told. Immutable; build with {@link #builder()}.
 *
 * @param tunnel               ws[s]://host[:port][/base-path] of the server; "/_tunnel" is appended
 * @param token                rendez-vous token (at least 16 characters)
 * @param password             password for the token, or null
 * @param server               default target http[s]://host[:port][/prefix], or null (then X-Host is required)
 * @param hostPattern          -regexp: X-Host values it matches in whole are allowed targets; null = X-Host refused
 * @param timeout              ping every timeout/3; no pong (or other traffic) for timeout = dead tunnel
 * @param insecure             trust any TLS certificate (tunnel and local targets)
 * @param certFile             extra trusted CA certificate(s), PEM, or null
 * @param proxy                HTTP CONNECT proxy http://[user:pass@]host:port for the tunnel, or null
 * @param statusFile           rewritten with "Unix: ..."/"Time: ..." on every pong, or null
 * @param clientVersion        sent as X-Client-Version
 * @param localConnectTimeout  connect timeout toward local targets
 * @param localResponseTimeout -response-timeout: time a local target has to start its response (HTTP response
 *                             head, or the answer to a WebSocket upgrade) before the caller gets a 502
 * @param dialTimeout          connect + WebSocket handshake timeout toward the server
 * @param maxBackoff           cap of the exponential reconnect backoff
 * @param settings             what the agent is willing to receive on the tunnel
 * @param maxQueuedBytes       cap on bytes queued for sending on the tunnel socket
 * @param shutdownGrace        how long in-flight requests may run after a stop is requested
 * @param protocol             tunnel framing: AUTO (offer wstunnel.v2, fall back to the Go framing when the
 *                             server selects no subprotocol), V2 only, or LEGACY (Go framing, nothing offered)
 * @param denyRules            -deny: addresses local targets may not resolve to; null = the defaults
 *                             (link-local, cloud metadata), see {@link io.wstunnel.cli.net.AddressPolicy}
 * @param tlsClientCert        -tls-client-cert: PEM certificate (chain) presented to the server (mutual TLS), or null
 * @param tlsClientKey         -tls-client-key: its PKCS#8 (or PKCS#1 RSA) PEM private key, or null
 * @param tcpTargets           -tcp name=host:port: TCP targets reachable through /_tcp/&lt;name&gt; (never null)
 * @param maxStreamWindow      -max-stream-window: largest window a stream's request body may grow to by
 *                             auto-tuning (PROTOCOL.md §3.6.1), at most twice this per tunnel in all; at or
 *                             below INITIAL_WINDOW, windows never grow
 */
public record AgentConfig(
        URI tunnel,
        String token,
        String password,
        URI server,
        Pattern hostPattern,
        Duration timeout,
        boolean insecure,
        Path certFile,
        URI proxy,
        Path statusFile,
        String clientVersion,
        Duration localConnectTimeout,
        Duration localResponseTimeout,
        Duration dialTimeout,
        Duration maxBackoff,
        Settings settings,
        int maxQueuedBytes,
        Duration shutdownGrace,
        Protocol protocol,
        io.wstunnel.cli.net.AddressPolicy denyRules,
        Path tlsClientCert,
        Path tlsClientKey,
        java.util.Map<String, String> tcpTargets,
        int maxStreamWindow) {

    public static final int DEFAULT_MAX_STREAM_WINDOW = 8 * 1024 * 1024;
    /** The server's default -httptimeout: the server's deadline, not the agent's, normally ends a slow request. */
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(1200);

    /** With the default window growth. */
    public AgentConfig(URI tunnel, String token, String password, URI server, Pattern hostPattern, Duration timeout,
            boolean insecure, Path certFile, URI proxy, Path statusFile, String clientVersion,
            Duration localConnectTimeout, Duration localResponseTimeout, Duration dialTimeout, Duration maxBackoff,
            Settings settings, int maxQueuedBytes, Duration shutdownGrace, Protocol protocol,
            io.wstunnel.cli.net.AddressPolicy denyRules, Path tlsClientCert, Path tlsClientKey,
            java.util.Map<String, String> tcpTargets) {
        this(tunnel, token, password, server, hostPattern, timeout, insecure, certFile, proxy, statusFile, clientVersion,
                localConnectTimeout, localResponseTimeout, dialTimeout, maxBackoff, settings, maxQueuedBytes, shutdownGrace,
                protocol, denyRules, tlsClientCert, tlsClientKey, tcpTargets, DEFAULT_MAX_STREAM_WINDOW);
    }

    /** Without TCP targets. */
    public AgentConfig(URI tunnel, String token, String password, URI server, Pattern hostPattern, Duration timeout,
            boolean insecure, Path certFile, URI proxy, Path statusFile, String clientVersion,
            Duration localConnectTimeout, Duration localResponseTimeout, Duration dialTimeout, Duration maxBackoff,
            Settings settings, int maxQueuedBytes, Duration shutdownGrace, Protocol protocol,
            io.wstunnel.cli.net.AddressPolicy denyRules, Path tlsClientCert, Path tlsClientKey) {
        this(tunnel, token, password, server, hostPattern, timeout, insecure, certFile, proxy, statusFile, clientVersion,
                localConnectTimeout, localResponseTimeout, dialTimeout, maxBackoff, settings, maxQueuedBytes, shutdownGrace,
                protocol, denyRules, tlsClientCert, tlsClientKey, java.util.Map.of());
    }

    /** The tunnel framing the agent speaks ({@code -protocol auto|v2|legacy}). */
    public enum Protocol {
        AUTO, V2, LEGACY;

        /** @throws IllegalArgumentException for anything but auto, v2, legacy (any case) */
        public static Protocol parse(String s) {
            switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "auto": return AUTO;
                case "v2": return V2;
                case "legacy": return LEGACY;
                default: throw new IllegalArgumentException("-protocol must be auto, v2 or legacy, not '" + s + "'");
            }
        }
    }

    /** Without a protocol: AUTO. */
    public AgentConfig(URI tunnel, String token, String password, URI server, Pattern hostPattern, Duration timeout,
            boolean insecure, Path certFile, URI proxy, Path statusFile, String clientVersion,
            Duration localConnectTimeout, Duration localResponseTimeout, Duration dialTimeout, Duration maxBackoff,
            Settings settings, int maxQueuedBytes, Duration shutdownGrace) {
        this(tunnel, token, password, server, hostPattern, timeout, insecure, certFile, proxy, statusFile, clientVersion,
                localConnectTimeout, localResponseTimeout, dialTimeout, maxBackoff, settings, maxQueuedBytes, shutdownGrace,
                Protocol.AUTO);
    }

    /** Without deny rules (the defaults) and without a client certificate. */
    public AgentConfig(URI tunnel, String token, String password, URI server, Pattern hostPattern, Duration timeout,
            boolean insecure, Path certFile, URI proxy, Path statusFile, String clientVersion,
            Duration localConnectTimeout, Duration localResponseTimeout, Duration dialTimeout, Duration maxBackoff,
            Settings settings, int maxQueuedBytes, Duration shutdownGrace, Protocol protocol) {
        this(tunnel, token, password, server, hostPattern, timeout, insecure, certFile, proxy, statusFile, clientVersion,
                localConnectTimeout, localResponseTimeout, dialTimeout, maxBackoff, settings, maxQueuedBytes, shutdownGrace,
                protocol, null, null, null);
    }

    public AgentConfig {
        if ((tlsClientCert == null) != (tlsClientKey == null)) {
            throw new IllegalArgumentException("-tls-client-cert and -tls-client-key go together");
        }
        protocol = protocol == null ? Protocol.AUTO : protocol;
        tcpTargets = tcpTargets == null ? java.util.Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(tcpTargets));
        Objects.requireNonNull(tunnel, "tunnel");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(timeout, "timeout");
        if (maxStreamWindow < 1) {
            throw new IllegalArgumentException("-max-stream-window must be at least 1, got " + maxStreamWindow);
        }
    }

    /** Receive-window growth all streams of one tunnel may share (PROTOCOL.md §3.6.1). */
    public long windowBudget() {
        return io.wstunnel.protocol.WindowBudget.bytesFor(maxStreamWindow);
    }

    /** Never shows the token in full, the password, or credentials inside URIs. */
    @Override
    public String toString() {
        return "AgentConfig[tunnel=" + redact(tunnel) + ", token=" + maskToken(token)
                + ", password=" + (password == null ? "none" : "***") + ", server=" + redact(server)
                + ", hostPattern=" + hostPattern + ", timeout=" + timeout + ", insecure=" + insecure
                + ", certFile=" + certFile + ", proxy=" + redact(proxy) + ", statusFile=" + statusFile
                + ", clientVersion=" + clientVersion + ", localConnectTimeout=" + localConnectTimeout
                + ", localResponseTimeout=" + localResponseTimeout + ", dialTimeout=" + dialTimeout
                + ", maxBackoff=" + maxBackoff + ", settings=" + settings + ", maxStreamWindow=" + maxStreamWindow
                + ", maxQueuedBytes=" + maxQueuedBytes
                + ", shutdownGrace=" + shutdownGrace + ", protocol=" + protocol + ", denyRules=" + (denyRules == null ? "default" : denyRules)
                + ", tlsClientCert=" + tlsClientCert + ", tlsClientKey=" + tlsClientKey + ", tcpTargets=" + tcpTargets + "]";
    }

    /** A token as it may appear in logs: its first 8 characters and "...". */
    public static String maskToken(String token) {
        return token == null ? "null" : token.substring(0, Math.min(8, token.length())) + "...";
    }

    /** A URI as it may appear in logs: user-info (credentials) replaced by "***". */
    public static String redact(URI uri) {
        if (uri == null || uri.getRawUserInfo() == null) {
            return String.valueOf(uri);
        }
        return uri.toString().replace(uri.getRawUserInfo() + "@", "***@");
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private URI tunnel;
        private String token;
        private String password;
        private URI server;
        private Pattern hostPattern;
        private Duration timeout = Duration.ofSeconds(30);
        private boolean insecure;
        private Path certFile;
        private URI proxy;
        private Path statusFile;
        private String clientVersion = "wstunnel-java";
        private Duration localConnectTimeout = Duration.ofSeconds(10);
        private Duration localResponseTimeout = DEFAULT_RESPONSE_TIMEOUT;
        private Duration dialTimeout = Duration.ofSeconds(15);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private Settings settings = Settings.DEFAULT;
        private int maxQueuedBytes = 4 * 1024 * 1024;
        private Duration shutdownGrace = Duration.ofSeconds(30);
        private Protocol protocol = Protocol.AUTO;
        private io.wstunnel.cli.net.AddressPolicy denyRules;
        private Path tlsClientCert;
        private Path tlsClientKey;
        private java.util.Map<String, String> tcpTargets = java.util.Map.of();
        private int maxStreamWindow = DEFAULT_MAX_STREAM_WINDOW;

        public Builder tunnel(URI v) { tunnel = v; return this; }
        public Builder token(String v) { token = v; return this; }
        public Builder password(String v) { password = v; return this; }
        public Builder server(URI v) { server = v; return this; }
        public Builder hostPattern(Pattern v) { hostPattern = v; return this; }
        public Builder timeout(Duration v) { timeout = v; return this; }
        public Builder insecure(boolean v) { insecure = v; return this; }
        public Builder certFile(Path v) { certFile = v; return this; }
        public Builder proxy(URI v) { proxy = v; return this; }
        public Builder statusFile(Path v) { statusFile = v; return this; }
        public Builder clientVersion(String v) { clientVersion = v; return this; }
        public Builder localConnectTimeout(Duration v) { localConnectTimeout = v; return this; }
        public Builder localResponseTimeout(Duration v) { localResponseTimeout = v; return this; }
        public Builder dialTimeout(Duration v) { dialTimeout = v; return this; }
        public Builder maxBackoff(Duration v) { maxBackoff = v; return this; }
        public Builder settings(Settings v) { settings = v; return this; }
        public Builder maxQueuedBytes(int v) { maxQueuedBytes = v; return this; }
        public Builder shutdownGrace(Duration v) { shutdownGrace = v; return this; }
        public Builder protocol(Protocol v) { protocol = v; return this; }
        public Builder denyRules(io.wstunnel.cli.net.AddressPolicy v) { denyRules = v; return this; }
        public Builder tlsClientCert(Path v) { tlsClientCert = v; return this; }
        public Builder tlsClientKey(Path v) { tlsClientKey = v; return this; }
        /** -tcp: name → host:port */
        public Builder tcpTargets(java.util.Map<String, String> v) { tcpTargets = v; return this; }
        public Builder maxStreamWindow(int v) { maxStreamWindow = v; return this; }

        public AgentConfig build() {
            return new AgentConfig(tunnel, token, password, server, hostPattern, timeout, insecure, certFile, proxy,
                    statusFile, clientVersion, localConnectTimeout, localResponseTimeout, dialTimeout, maxBackoff,
                    settings, maxQueuedBytes, shutdownGrace, protocol, denyRules, tlsClientCert, tlsClientKey,
                    tcpTargets, maxStreamWindow);
        }
    }
}
