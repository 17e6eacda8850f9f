package io.wstunnel.srv;

import io.wstunnel.protocol.Settings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Everything `wstunnel srv` can be told. Immutable; build with {@link #builder()}.
 *
 * @param host                  address to bind
 * @param port                  port to bind (0 = ephemeral)
 * @param basePath              prefix of every endpoint, "" or "/p" (no trailing slash)
 * @param httpTimeout           deadline of a tunnelled request, queueing included (504 after); positive
 * @param wsTimeout             an agent socket silent for this long is closed as dead; positive
 * @param maxRequestsPerTunnel  requests that may wait per token for an agent stream (504 beyond)
 * @param maxClientsPerToken    agents per token, 0 = unlimited (429 beyond)
 * @param passwords             token → password; tokens not listed need none
 * @param shutdownGrace         how long in-flight requests may run after a stop is requested (0 or more)
 * @param settings              what the server is willing to receive on each v2 agent socket
 * @param tokenIdleTimeout      a token with no agent for this long is forgotten (positive)
 * @param maxQueuedBytesPerAgent cap on bytes queued for sending on one agent socket (at least 1)
 * @param adminToken            bearer token non-loopback callers must present to the admin endpoints
 *                              and /metrics; "" = admin endpoints answer loopback callers only
 * @param adminListen           "host:port" of a separate listener for the admin endpoints and /metrics,
 *                              "" = served on the main listener
 * @param trustedProxies        CIDRs of reverse proxies whose X-Forwarded-For is believed
 * @param auditLog              file of the JSON-lines audit log, "" = no audit log
 * @param limits                what one caller, token or agent may take (see limits/Limits)
 * @param tls                   native TLS (HTTPS/WSS listener, agent client certificates); NONE = plain HTTP
 * @param passwordsFile         file of token:pbkdf2-hash lines (see auth/PasswordsFile), "" = none
 * @param reloadInterval        how often the TLS files and the passwords file are checked for changes; 0 = never
 * @param reconnectGrace        how long requests wait for an agent while a token has none; after that they are
 *                              refused at once (503) until an agent connects again
 */
public record ServerConfig(
        String host,
        int port,
        String basePath,
        Duration httpTimeout,
        Duration wsTimeout,
        int maxRequestsPerTunnel,
        int maxClientsPerToken,
        Map<String, String> passwords,
        Duration shutdownGrace,
        Settings settings,
        Duration tokenIdleTimeout,
        int maxQueuedBytesPerAgent,
        String adminToken,
        String adminListen,
        java.util.List<String> trustedProxies,
        String auditLog,
        io.wstunnel.srv.limits.Limits limits,
        io.wstunnel.srv.tls.TlsSettings tls,
        String passwordsFile,
        Duration reloadInterval,
        Duration reconnectGrace) {

    public static final int MIN_TOKEN_LENGTH = 16;
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_RECONNECT_GRACE = io.wstunnel.srv.tunnel.TokenRegistry.DEFAULT_RECONNECT_GRACE;

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        basePath = normaliseBasePath(basePath);
        passwords = Map.copyOf(passwords);
        adminToken = adminToken == null ? "" : adminToken;
        adminListen = adminListen == null ? "" : adminListen.trim();
        trustedProxies = trustedProxies == null ? java.util.List.of() : java.util.List.copyOf(trustedProxies);
        auditLog = auditLog == null ? "" : auditLog.trim();
        limits = limits == null ? io.wstunnel.srv.limits.Limits.DEFAULT : limits;
        tls = tls == null ? io.wstunnel.srv.tls.TlsSettings.NONE : tls;
        passwordsFile = passwordsFile == null ? "" : passwordsFile.trim();
        reloadInterval = reloadInterval == null || reloadInterval.isNegative() ? Duration.ZERO : reloadInterval;
        reconnectGrace = reconnectGrace == null ? DEFAULT_RECONNECT_GRACE : reconnectGrace;
        if (reconnectGrace.isNegative()) {
            throw new IllegalArgumentException("reconnect grace must be 0 or more");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535");
        }
        if (maxRequestsPerTunnel < 1) {
            throw new IllegalArgumentException("max requests per tunnel must be at least 1");
        }
        if (maxClientsPerToken < 0) {
            throw new IllegalArgumentException("max clients per token must be 0 (unlimited) or more");
        }
        requirePositive(httpTimeout, "http timeout");
        requirePositive(wsTimeout, "ws timeout");
        requirePositive(tokenIdleTimeout, "token idle timeout");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdown grace must be 0 or more");
        }
        Objects.requireNonNull(settings, "settings");
        if (maxQueuedBytesPerAgent < 1) {
            throw new IllegalArgumentException("max queued bytes per agent must be at least 1");
        }
    }

    private static void requirePositive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
    }

    /** Without TLS, passwords file or reloading. */
    public ServerConfig(String host, int port, String basePath, Duration httpTimeout, Duration wsTimeout,
                        int maxRequestsPerTunnel, int maxClientsPerToken, Map<String, String> passwords,
                        Duration shutdownGrace, Settings settings, Duration tokenIdleTimeout, int maxQueuedBytesPerAgent,
                        String adminToken, String adminListen, java.util.List<String> trustedProxies, String auditLog,
                        io.wstunnel.srv.limits.Limits limits) {
        this(host, port, basePath, httpTimeout, wsTimeout, maxRequestsPerTunnel, maxClientsPerToken, passwords,
                shutdownGrace, settings, tokenIdleTimeout, maxQueuedBytesPerAgent, adminToken, adminListen,
                trustedProxies, auditLog, limits, io.wstunnel.srv.tls.TlsSettings.NONE, "", DEFAULT_RELOAD_INTERVAL,
                DEFAULT_RECONNECT_GRACE);
    }

    /** The configuration with the default {@link io.wstunnel.srv.limits.Limits}. */
    public ServerConfig(String host, int port, String basePath, Duration httpTimeout, Duration wsTimeout,
                        int maxRequestsPerTunnel, int maxClientsPerToken, Map<String, String> passwords,
                        Duration shutdownGrace, Settings settings, Duration tokenIdleTimeout, int maxQueuedBytesPerAgent,
                        String adminToken, String adminListen, java.util.List<String> trustedProxies, String auditLog) {
        this(host, port, basePath, httpTimeout, wsTimeout, maxRequestsPerTunnel, maxClientsPerToken, passwords,
                shutdownGrace, settings, tokenIdleTimeout, maxQueuedBytesPerAgent, adminToken, adminListen,
                trustedProxies, auditLog, io.wstunnel.srv.limits.Limits.DEFAULT);
    }

    /** The configuration without admin options (loopback-only admin, no audit log). */
    public ServerConfig(String host, int port, String basePath, Duration httpTimeout, Duration wsTimeout,
                        int maxRequestsPerTunnel, int maxClientsPerToken, Map<String, String> passwords,
                        Duration shutdownGrace, Settings settings, Duration tokenIdleTimeout, int maxQueuedBytesPerAgent) {
        this(host, port, basePath, httpTimeout, wsTimeout, maxRequestsPerTunnel, maxClientsPerToken, passwords,
                shutdownGrace, settings, tokenIdleTimeout, maxQueuedBytesPerAgent, "", "", java.util.List.of(), "");
    }

    /** "" for none or "/", else "/p" without trailing slash. */
    static String normaliseBasePath(String p) {
        if (p == null) {
            return "";
        }
        String s = p.trim();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        if (!s.isEmpty() && !s.startsWith("/")) {
            s = "/" + s;
        }
        return s;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.host = host;
        b.port = port;
        b.basePath = basePath;
        b.httpTimeout = httpTimeout;
        b.wsTimeout = wsTimeout;
        b.maxRequestsPerTunnel = maxRequestsPerTunnel;
        b.maxClientsPerToken = maxClientsPerToken;
        b.passwords = new LinkedHashMap<>(passwords);
        b.shutdownGrace = shutdownGrace;
        b.settings = settings;
        b.tokenIdleTimeout = tokenIdleTimeout;
        b.maxQueuedBytesPerAgent = maxQueuedBytesPerAgent;
        b.adminToken = adminToken;
        b.adminListen = adminListen;
        b.trustedProxies = new java.util.ArrayList<>(trustedProxies);
        b.auditLog = auditLog;
        b.limits = limits;
        b.tls = tls;
        b.passwordsFile = passwordsFile;
        b.reloadInterval = reloadInterval;
        b.reconnectGrace = reconnectGrace;
        return b;
    }

    /** Defaults are those of the Go server where it has the same option. */
    public static final class Builder {
        private String host = "0.0.0.0";
        private int port = 80;
        private String basePath = "";
        private Duration httpTimeout = Duration.ofSeconds(1200);
        private Duration wsTimeout = Duration.ofSeconds(30);
        private int maxRequestsPerTunnel = 20;
        private int maxClientsPerToken = 0;
        private Map<String, String> passwords = new LinkedHashMap<>();
        private Duration shutdownGrace = Duration.ofSeconds(30);
        private Settings settings = Settings.DEFAULT;
        private Duration tokenIdleTimeout = Duration.ofMinutes(60);
        private int maxQueuedBytesPerAgent = 4 * 1024 * 1024;
        private String adminToken = "";
        private String adminListen = "";
        private java.util.List<String> trustedProxies = new java.util.ArrayList<>();
        private String auditLog = "";
        private io.wstunnel.srv.limits.Limits limits = io.wstunnel.srv.limits.Limits.DEFAULT;
        private io.wstunnel.srv.tls.TlsSettings tls = io.wstunnel.srv.tls.TlsSettings.NONE;
        private String passwordsFile = "";
        private Duration reloadInterval = DEFAULT_RELOAD_INTERVAL;
        private Duration reconnectGrace = DEFAULT_RECONNECT_GRACE;

        public Builder host(String v) { host = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder basePath(String v) { basePath = v; return this; }
        public Builder httpTimeout(Duration v) { httpTimeout = v; return this; }
        public Builder wsTimeout(Duration v) { wsTimeout = v; return this; }
        public Builder maxRequestsPerTunnel(int v) { maxRequestsPerTunnel = v; return this; }
        public Builder maxClientsPerToken(int v) { maxClientsPerToken = v; return this; }
        public Builder passwords(Map<String, String> v) { passwords = new LinkedHashMap<>(v); return this; }
        public Builder password(String token, String pw) { passwords.put(token, pw); return this; }
        public Builder shutdownGrace(Duration v) { shutdownGrace = v; return this; }
        public Builder settings(Settings v) { settings = v; return this; }
        public Builder tokenIdleTimeout(Duration v) { tokenIdleTimeout = v; return this; }
        public Builder maxQueuedBytesPerAgent(int v) { maxQueuedBytesPerAgent = v; return this; }
        public Builder adminToken(String v) { adminToken = v; return this; }
        public Builder adminListen(String v) { adminListen = v; return this; }
        public Builder trustedProxies(java.util.List<String> v) { trustedProxies = new java.util.ArrayList<>(v); return this; }
        public Builder auditLog(String v) { auditLog = v; return this; }
        public Builder limits(io.wstunnel.srv.limits.Limits v) { limits = v; return this; }
        public Builder tls(io.wstunnel.srv.tls.TlsSettings v) { tls = v; return this; }
        public Builder passwordsFile(String v) { passwordsFile = v; return this; }
        public Builder reloadInterval(Duration v) { reloadInterval = v; return this; }
        public Builder reconnectGrace(Duration v) { reconnectGrace = v; return this; }

        public ServerConfig build() {
            return new ServerConfig(host, port, basePath, httpTimeout, wsTimeout, maxRequestsPerTunnel,
                    maxClientsPerToken, passwords, shutdownGrace, settings, tokenIdleTimeout, maxQueuedBytesPerAgent,
                    adminToken, adminListen, trustedProxies, auditLog, limits, tls, passwordsFile, reloadInterval,
                    reconnectGrace);
        }
    }
}
