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
            description = "Tokens whose agents must present a password: tok:pw,tok2:pw2.")
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
        if (httpTimeout < 1) {
            throw new UsageException("-httptimeout must be at least 1 second, got " + httpTimeout);
        }
        if (maxRequestsPerTunnel < 1) {
            throw new UsageException("-max-requests-per-tunnel must be at least 1, got " + maxRequestsPerTunnel);
        }
        if (maxClientsPerToken < 0) {
            throw new UsageException("-max-clients-per-token must be 0 (unlimited) or more, got " + maxClientsPerToken);
        }
        if (shutdownGrace < 0) {
            throw new UsageException("-shutdown-grace must be 0 or more seconds, got " + shutdownGrace);
        }
        String bp = basePath == null ? "" : basePath.trim();
        if (!bp.isEmpty() && (bp.contains("?") || bp.contains("#") || bp.contains(" "))) {
            throw new UsageException("-base-path must be a plain path such as /wstunnel, got '" + basePath + "'");
        }
        return ServerConfig.builder()
                .host(host.trim())
                .port(port)
                .basePath(bp)
                .httpTimeout(Duration.ofSeconds(httpTimeout))
                .wsTimeout(Duration.ofSeconds(clamp(wsTimeout, MIN_WS_TIMEOUT, MAX_WS_TIMEOUT)))
                .maxRequestsPerTunnel(maxRequestsPerTunnel)
                .maxClientsPerToken(maxClientsPerToken)
                .passwords(parsePasswords(passwords))
                .shutdownGrace(Duration.ofSeconds(shutdownGrace))
                .adminToken(adminToken == null ? "" : adminToken)
                .adminListen(adminListen == null ? "" : adminListen.trim())
                .trustedProxies(trustedProxies == null ? List.of() : trustedProxies.stream().map(String::trim)
                        .filter(c -> !c.isEmpty()).toList())
                .auditLog(auditLog == null ? "" : auditLog.trim())
                .build();
    }

    /** "tok:pw" entries (split at the first ':') → map; an entry without ':' or with an empty side is an error. */
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
            if (colon <= 0 || colon == e.length() - 1) {
                throw new UsageException("-passwords entries must be token:password, got '" + redact(e) + "'");
            }
            map.put(e.substring(0, colon), e.substring(colon + 1));
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
