package io.wstunnel.app;

import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code wstunnel srv}: the tunnel server. */
@Command(name = "srv", sortOptions = false,
        description = "Run the tunnel server: agents connect to <base-path>/_tunnel, callers send requests "
                + "with an X-Token header or to <base-path>/_token/<token>/...")
public final class SrvCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(SrvCommand.class);

    static final int MIN_WS_TIMEOUT = 3;
    static final int MAX_WS_TIMEOUT = 600;

    @Option(names = {"-port", "--port"}, paramLabel = "PORT", defaultValue = "80",
            description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = {"-host", "--host"}, paramLabel = "ADDR", defaultValue = "0.0.0.0",
            description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = {"-base-path", "--base-path"}, paramLabel = "PATH", defaultValue = "",
            description = "Serve every endpoint under PATH, e.g. /wstunnel (default: none).")
    String basePath;

    @Option(names = {"-httptimeout", "--httptimeout"}, paramLabel = "SECONDS", defaultValue = "1200",
            description = "Deadline of a tunnelled request, waiting for an agent included (default: ${DEFAULT-VALUE}).")
    long httpTimeout;

    @Option(names = {"-reconnect-grace", "--reconnect-grace"}, paramLabel = "SECONDS", defaultValue = "60",
            description = "How long requests wait for a token's agent while none is connected; after that they get "
                    + "503 at once until an agent is back (default: ${DEFAULT-VALUE}).")
    long reconnectGrace;

    @Option(names = {"-wstimeout", "--wstimeout"}, paramLabel = "SECONDS", defaultValue = "30",
            description = "Close an agent socket silent this long; clamped to 3..600 (default: ${DEFAULT-VALUE}).")
    long wsTimeout;

    @Option(names = {"-max-requests-per-tunnel", "--max-requests-per-tunnel"}, paramLabel = "N", defaultValue = "20",
            description = "Requests that may wait per token for the agent (default: ${DEFAULT-VALUE}).")
    int maxRequestsPerTunnel;

    @Option(names = {"-max-clients-per-token", "--max-clients-per-token"}, paramLabel = "N", defaultValue = "0",
            description = "Agents allowed per token, 0 = unlimited (default: ${DEFAULT-VALUE}).")
    int maxClientsPerToken;

    @Option(names = {"-passwords", "--passwords"}, paramLabel = "TOKEN:PASSWORD", split = ",",
            description = "Tokens whose agents must present a password: tok:pw,tok2:pw2 (a password containing"
                    + " ',' only as one element of a YAML 'passwords:' list in -config).")
    List<String> passwords;

    @Option(names = {"-admin-token", "--admin-token"}, paramLabel = "TOKEN",
            description = "Bearer token non-loopback callers must present to /_stats details, /admin/* and /metrics"
                    + " (default: none, then those answer loopback callers only).")
    String adminToken;

    @Option(names = {"-admin-listen", "--admin-listen"}, paramLabel = "HOST:PORT",
            description = "Serve /admin/* and /metrics on this separate listener instead of the main one.")
    String adminListen;

    @Option(names = {"-trusted-proxies", "--trusted-proxies"}, paramLabel = "CIDR", split = ",",
            description = "Reverse proxies whose X-Forwarded-For is believed when deciding who is local: CIDR,CIDR.")
    List<String> trustedProxies;

    @Option(names = {"-audit-log", "--audit-log"}, paramLabel = "FILE",
            description = "Write a JSON-lines audit log (tunnel events and requests), rolled by size and day.")
    String auditLog;

    @Option(names = {"-shutdown-grace", "--shutdown-grace"}, paramLabel = "SECONDS", defaultValue = "30",
            description = "On SIGTERM, how long in-flight requests may still run (default: ${DEFAULT-VALUE}).")
    long shutdownGrace;

    @Option(names = {"-passwords-file", "--passwords-file"}, paramLabel = "FILE",
            description = "Agent passwords as token:hash lines (make a hash with 'wstunnel hash-password'); "
                    + "re-read when it changes.")
    String passwordsFile;

    @Option(names = {"-tls-cert", "--tls-cert"}, paramLabel = "FILE",
            description = "Serve HTTPS and WSS with this PEM certificate chain (leaf first; with -tls-key); "
                    + "re-read when it changes.")
    String tlsCert;

    @Option(names = {"-tls-key", "--tls-key"}, paramLabel = "FILE",
            description = "PEM private key of -tls-cert: PKCS#8 (RSA, EC, Ed25519), PKCS#1 RSA or SEC1 EC, unencrypted.")
    String tlsKey;

    @Option(names = {"-tls-keystore", "--tls-keystore"}, paramLabel = "FILE",
            description = "Serve HTTPS and WSS with the one key entry of this PKCS#12 keystore (instead of -tls-cert).")
    String tlsKeystore;

    @Option(names = {"-tls-keystore-password", "--tls-keystore-password"}, paramLabel = "PASSWORD",
            description = "Password of -tls-keystore (default: environment variable WSTUNNEL_TLS_KEYSTORE_PASSWORD).")
    String tlsKeystorePassword;

    @Option(names = {"-agent-ca", "--agent-ca"}, paramLabel = "FILE",
            description = "Agents must present a TLS client certificate issued by this PEM CA (needs native TLS).")
    String agentCa;

    @Option(names = {"-agent-cert-binds-token", "--agent-cert-binds-token"},
            description = "With -agent-ca: the certificate's CN or a DNS/URI/e-mail SAN must be the token or its id (t-...).")
    boolean agentCertBindsToken;

    @Option(names = {"-reload-interval", "--reload-interval"}, paramLabel = "SECONDS", defaultValue = "5",
            description = "How often the TLS files and -passwords-file are checked for changes; 0 = never "
                    + "(default: ${DEFAULT-VALUE}).")
    long reloadInterval;

    @Option(names = {"-max-header-bytes", "--max-header-bytes"}, paramLabel = "BYTES", defaultValue = "32768",
            description = "Largest request head (request line + headers); 431 beyond (default: ${DEFAULT-VALUE}).")
    int maxHeaderBytes;

    @Option(names = {"-max-uri-length", "--max-uri-length"}, paramLabel = "CHARS", defaultValue = "8192",
            description = "Longest request target; 414 beyond (default: ${DEFAULT-VALUE}).")
    int maxUriLength;

    @Option(names = {"-max-body-bytes", "--max-body-bytes"}, paramLabel = "BYTES", defaultValue = "0",
            description = "Largest request body per request, 0 = unlimited; 413 beyond (default: ${DEFAULT-VALUE}).")
    long maxBodyBytes;

    @Option(names = {"-rate-limit", "--rate-limit"}, paramLabel = "PER_SECOND", defaultValue = "0",
            description = "Requests per second per token, 0 = unlimited; 429 + Retry-After beyond (default: ${DEFAULT-VALUE}).")
    double rateLimit;

    @Option(names = {"-rate-burst", "--rate-burst"}, paramLabel = "N", defaultValue = "100",
            description = "Requests a token may send at once before -rate-limit applies (default: ${DEFAULT-VALUE}).")
    int rateBurst;

    @Option(names = {"-max-conns-per-addr", "--max-conns-per-addr"}, paramLabel = "N", defaultValue = "256",
            description = "Open connections per client IP, 0 = unlimited; 429 and close beyond. Behind a reverse proxy "
                    + "all connections come from the proxy: raise it or use 0 (default: ${DEFAULT-VALUE}).")
    int maxConnsPerAddr;

    @Option(names = {"-idle-timeout", "--idle-timeout"}, paramLabel = "SECONDS", defaultValue = "60",
            description = "Close a caller connection with no request for this long (default: ${DEFAULT-VALUE}).")
    long idleTimeout;

    @Option(names = {"-header-timeout", "--header-timeout"}, paramLabel = "SECONDS", defaultValue = "30",
            description = "A request head must arrive within this (slowloris) (default: ${DEFAULT-VALUE}).")
    long headerTimeout;

    @Option(names = {"-read-timeout", "--read-timeout"}, paramLabel = "SECONDS", defaultValue = "60",
            description = "Drop a peer silent this long while the server waits for its bytes; at least -wstimeout + 2 "
                    + "(default: ${DEFAULT-VALUE}).")
    long readTimeout;

    @Option(names = {"-max-tunnels", "--max-tunnels"}, paramLabel = "N", defaultValue = "10000",
            description = "Tokens known at once, 0 = unlimited; a new token's agent gets 503 beyond (default: ${DEFAULT-VALUE}).")
    int maxTunnels;

    @Option(names = {"-max-streams-per-agent", "--max-streams-per-agent"}, paramLabel = "N", defaultValue = "256",
            description = "Concurrent requests on one agent socket; more wait in the queue (default: ${DEFAULT-VALUE}).")
    int maxStreamsPerAgent;

    @Option(names = {"-hello-timeout", "--hello-timeout"}, paramLabel = "SECONDS", defaultValue = "10",
            description = "Close an agent socket that sends no HELLO within this (default: ${DEFAULT-VALUE}).")
    long helloTimeout;

    @Option(names = {"-agent-frame-rate", "--agent-frame-rate"}, paramLabel = "PER_SECOND", defaultValue = "2000",
            description = "Control frames/pings per second an agent may send (burst 10 s worth); beyond, its socket "
                    + "is closed with 1008 (default: ${DEFAULT-VALUE}).")
    int agentFrameRate;

    @Option(names = {"-max-frame-payload", "--max-frame-payload"}, paramLabel = "BYTES", defaultValue = "65536",
            description = "Largest DATA payload accepted from agents, 1024..16777216 (default: ${DEFAULT-VALUE}).")
    int maxFramePayload;

    @Option(names = {"-stream-window", "--stream-window"}, paramLabel = "BYTES", defaultValue = "262144",
            description = "Response bytes an agent may send per stream before credit (default: ${DEFAULT-VALUE}).")
    int streamWindow;

    @Option(names = {"-max-stream-window", "--max-stream-window"}, paramLabel = "BYTES", defaultValue = "8388608",
            description = "Largest window a stream's responses may grow to while the agent's link, not the caller, "
                    + "limits it (auto-tuning for long, fast links; at most twice this per agent socket in all); "
                    + "at or below -stream-window, windows never grow (default: ${DEFAULT-VALUE}).")
    int maxStreamWindow;

    @Mixin
    GoCompatOptions goCompat;

    @Mixin
    LoggingOptions logging;

    @Mixin
    DaemonOptions daemon;

    @Mixin
    HelpOption help;

    /** The server configuration these options describe; throws {@link UsageException} when invalid. */
    public ServerConfig serverConfig() {
        if (port < 0 || port > 65535) {
            throw new UsageException("-port must be 0..65535, got " + port);
        }
        if (host == null || host.isBlank()) {
            throw new UsageException("-host must not be empty");
        }
        OptionChecks.seconds("-httptimeout", httpTimeout, 1, null);
        OptionChecks.seconds("-reconnect-grace", reconnectGrace, 0, "never wait for an absent agent");
        OptionChecks.atLeast("-max-requests-per-tunnel", maxRequestsPerTunnel, 1);
        OptionChecks.zeroOrMore("-max-clients-per-token", maxClientsPerToken);
        OptionChecks.seconds("-shutdown-grace", shutdownGrace, 0, null);
        checkLimits();
        String bp = basePath == null ? "" : basePath.trim();
        if (!bp.isEmpty() && (bp.contains("?") || bp.contains("#") || bp.contains(" "))) {
            throw new UsageException("-base-path must be a plain path such as /wstunnel, got '" + basePath + "'");
        }
        OptionChecks.seconds("-reload-interval", reloadInterval, 0, "never");
        Map<String, String> plainPasswords = parsePasswords(passwords);
        String pwFile = passwordsFile == null ? "" : passwordsFile.trim();
        try {
            io.wstunnel.srv.auth.PasswordStore.load(plainPasswords, pwFile); // one-line errors now, not at start-up
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        io.wstunnel.srv.tls.TlsSettings tls = tlsSettings();
        io.wstunnel.srv.limits.Limits limits;
        io.wstunnel.protocol.Settings settings;
        try {
            limits = io.wstunnel.srv.limits.Limits.builder()
                    .maxHeaderBytes(maxHeaderBytes).maxUriLength(maxUriLength).maxBodyBytes(maxBodyBytes)
                    .requestsPerSecond(rateLimit).requestBurst(rateBurst).maxConnectionsPerAddress(maxConnsPerAddr)
                    .idleTimeout(Duration.ofSeconds(idleTimeout)).requestParseTimeout(Duration.ofSeconds(headerTimeout))
                    .readTimeout(Duration.ofSeconds(readTimeout)).maxTunnels(maxTunnels)
                    .maxStreamsPerAgent(maxStreamsPerAgent).agentHelloTimeout(Duration.ofSeconds(helloTimeout))
                    .agentControlFramesPerSecond(agentFrameRate).maxStreamWindow(maxStreamWindow).build();
            io.wstunnel.protocol.Settings d = io.wstunnel.protocol.Settings.DEFAULT;
            settings = new io.wstunnel.protocol.Settings(streamWindow, d.maxConcurrentStreams(), maxFramePayload, d.maxHeadSize());
        } catch (IllegalArgumentException | io.wstunnel.protocol.ProtocolException e) {
            throw new UsageException("invalid limit: " + e.getMessage());
        }
        return ServerConfig.builder()
                .limits(limits)
                .settings(settings)
                .host(host.trim())
                .port(port)
                .basePath(bp)
                .httpTimeout(Duration.ofSeconds(httpTimeout))
                .reconnectGrace(Duration.ofSeconds(reconnectGrace))
                .wsTimeout(Duration.ofSeconds(clamp(wsTimeout, MIN_WS_TIMEOUT, MAX_WS_TIMEOUT)))
                .maxRequestsPerTunnel(maxRequestsPerTunnel)
                .maxClientsPerToken(maxClientsPerToken)
                .passwords(plainPasswords)
                .passwordsFile(pwFile)
                .tls(tls)
                .reloadInterval(Duration.ofSeconds(reloadInterval))
                .shutdownGrace(Duration.ofSeconds(shutdownGrace))
                .adminToken(adminToken == null ? "" : adminToken)
                .adminListen(adminListen == null ? "" : adminListen.trim())
                .trustedProxies(trustedProxies == null ? List.of() : trustedProxies.stream().map(String::trim)
                        .filter(c -> !c.isEmpty()).toList())
                .auditLog(auditLog == null ? "" : auditLog.trim())
                .build();
    }

    /** The limit options, each with its own one-line error (Limits and Settings would only say "invalid"). */
    private void checkLimits() {
        OptionChecks.atLeast("-max-header-bytes", maxHeaderBytes, io.wstunnel.srv.limits.Limits.MIN_HEADER_BYTES);
        OptionChecks.atLeast("-max-uri-length", maxUriLength, io.wstunnel.srv.limits.Limits.MIN_URI_LENGTH);
        OptionChecks.zeroOrMore("-max-body-bytes", maxBodyBytes);
        OptionChecks.rate("-rate-limit", rateLimit);
        OptionChecks.atLeast("-rate-burst", rateBurst, 1);
        OptionChecks.zeroOrMore("-max-conns-per-addr", maxConnsPerAddr);
        OptionChecks.seconds("-idle-timeout", idleTimeout, 1, null);
        OptionChecks.seconds("-header-timeout", headerTimeout, 1, null);
        OptionChecks.seconds("-read-timeout", readTimeout, 1, null);
        OptionChecks.zeroOrMore("-max-tunnels", maxTunnels);
        OptionChecks.atLeast("-max-streams-per-agent", maxStreamsPerAgent, 1);
        OptionChecks.seconds("-hello-timeout", helloTimeout, 1, null);
        OptionChecks.atLeast("-agent-frame-rate", agentFrameRate, 1);
        OptionChecks.range("-max-frame-payload", maxFramePayload, io.wstunnel.protocol.Settings.MIN_FRAME_PAYLOAD,
                io.wstunnel.protocol.Settings.MAX_FRAME_PAYLOAD);
        OptionChecks.atLeast("-stream-window", streamWindow, 1);
        OptionChecks.atLeast("-max-stream-window", maxStreamWindow, 1);
    }

    /** The TLS options, with their files read once so that a bad file is a one-line usage error. */
    private io.wstunnel.srv.tls.TlsSettings tlsSettings() {
        String ksPassword = tlsKeystorePassword;
        if ((ksPassword == null || ksPassword.isEmpty()) && tlsKeystore != null && !tlsKeystore.isBlank()) {
            ksPassword = System.getenv("WSTUNNEL_TLS_KEYSTORE_PASSWORD");
        }
        try {
            io.wstunnel.srv.tls.TlsSettings tls = new io.wstunnel.srv.tls.TlsSettings(tlsCert, tlsKey, tlsKeystore,
                    ksPassword, agentCa, agentCertBindsToken);
            if (tls.enabled()) {
                io.wstunnel.srv.tls.ServerTls.load(tls);
            }
            return tls;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * "tok:pw" entries → map. An entry is split at its first ':' only: a token never contains one (as
     * for the agent's -token tok:pw and HTTP Basic), a password may contain ':' (and ',' when it comes
     * as one YAML list element). An entry without ':' or with an empty side is an error that shows no
     * part of the password.
     */
    static Map<String, String> parsePasswords(List<String> entries) {
        Map<String, String> map = new LinkedHashMap<>();
        if (entries == null) {
            return map;
        }
        for (String raw : entries) {
            String e = raw.trim();
            if (e.isEmpty()) {
                continue;
            }
            int colon = e.indexOf(':');
            if (colon < 0) {
                // perhaps a password given alone, or a password's piece after a ',' on the command line
                throw new UsageException("-passwords entries must be token:password, got one without ':'"
                        + " (a password containing ',' must be one element of a YAML list in -config)");
            }
            if (colon == 0 || colon == e.length() - 1) {
                throw new UsageException("-passwords entries must be token:password, got one with an empty "
                        + (colon == 0 ? "token" : "password for token '" + redact(e.substring(0, colon)) + "'"));
            }
            if (colon < ServerConfig.MIN_TOKEN_LENGTH) {
                throw new UsageException("-passwords: token '" + redact(e.substring(0, colon))
                        + "' is too short (must be " + ServerConfig.MIN_TOKEN_LENGTH + " chars)");
            }
            // as -passwords-file: a token given twice is a mistake, not "the last one wins"
            if (map.putIfAbsent(e.substring(0, colon), e.substring(colon + 1)) != null) {
                throw new UsageException("-passwords: token '" + redact(e.substring(0, colon)) + "' is listed twice");
            }
        }
        return map;
    }

    /** Enough of a bad entry to find it, never a whole secret. */
    private static String redact(String s) {
        return s.length() <= 8 ? s.replaceAll(".", "*") : s.substring(0, 8) + "...";
    }

    static long clamp(long v, long min, long max) {
        return Math.max(min, Math.min(max, v));
    }

    public LoggingOptions logging() {
        return logging;
    }

    public DaemonOptions daemon() {
        return daemon;
    }

    @Override
    public Integer call() throws Exception {
        ServerConfig config = serverConfig();
        Logging.configure(logging);
        if (goCompat != null) {
            goCompat.warn(LOG);
        }
        try (PidFile pid = PidFile.write(daemon.pidFile())) {
            TunnelServer server;
            try {
                server = TunnelServer.start(config);
            } catch (RuntimeException e) {
                throw new IllegalStateException("cannot start on " + config.host() + ":" + config.port(), e);
            }
            LOG.info("wstunnel srv {} serving on {}:{} (base path '{}', httptimeout {} s, wstimeout {} s, "
                    + "max-requests-per-tunnel {}, max-clients-per-token {}, {} token(s) with a password)",
                    Version.get(), config.host(), server.port(), config.basePath(), config.httpTimeout().toSeconds(),
                    config.wsTimeout().toSeconds(), config.maxRequestsPerTunnel(), config.maxClientsPerToken(),
                    config.passwords().size());
            Termination termination = Termination.install(() -> {
                LOG.info("stopping: in-flight requests have {} s to finish", config.shutdownGrace().toSeconds());
                server.stop(config.shutdownGrace());
                LOG.info("stopped");
            });
            termination.await();
        }
        return Main.EXIT_OK;
    }
}
