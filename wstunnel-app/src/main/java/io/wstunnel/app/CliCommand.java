package io.wstunnel.app;

import io.wstunnel.cli.Agent;
import io.wstunnel.cli.AgentConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code wstunnel cli}: the agent, next to the service behind the firewall. */
@Command(name = "cli", sortOptions = false,
        description = "Run the agent: keep a WebSocket to the server open and serve the requests it receives "
                + "from the local service (-server) or an X-Host allowed by -regexp.")
public final class CliCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(CliCommand.class);

    static final int MIN_TOKEN_LENGTH = 16;
    static final int MIN_TIMEOUT = 3;
    static final int MAX_TIMEOUT = 600;
    /** A week: far above any sensible -httptimeout, and its milliseconds fit a socket timeout (an int). */
    static final long MAX_RESPONSE_TIMEOUT = 7 * 24 * 3600;
    /** Password for the token when -token has none (keeps it off the command line). */
    static final String PASSWORD_ENV = "WSTUNNEL_PASSWORD";

    @Option(names = {"-tunnel", "--tunnel"}, paramLabel = "URL",
            description = "Server to connect to: ws[s]://host[:port][/base-path] (required).")
    String tunnel;

    @Option(names = {"-token", "--token"}, paramLabel = "TOKEN[:PASSWORD]",
            description = "Rendez-vous token, at least 16 characters, optionally followed by :password (required).")
    String token;

    @Option(names = {"-server", "--server"}, paramLabel = "URL",
            description = "Local service requests go to: http[s]://host[:port][/prefix].")
    String server;

    @Option(names = {"-regexp", "--regexp"}, paramLabel = "REGEXP",
            description = "Allow X-Host targets that this regular expression matches in whole.")
    String regexp;

    @Option(names = {"-timeout", "--timeout"}, paramLabel = "SECONDS", defaultValue = "30",
            description = "Ping every timeout/3 s, reconnect after timeout s without answer; clamped to 3..600 "
                    + "(default: ${DEFAULT-VALUE}).")
    long timeout;

    @Option(names = {"-response-timeout", "--response-timeout"}, paramLabel = "SECONDS", defaultValue = "1200",
            description = "How long a local target may take to start its response (HTTP response head, or the answer "
                    + "to a WebSocket upgrade) before the caller gets a 502; 1.." + MAX_RESPONSE_TIMEOUT + " (default: "
                    + "${DEFAULT-VALUE}, the server's default -httptimeout, so the server's deadline normally ends a "
                    + "slow request).")
    long responseTimeout;

    @Option(names = {"-insecure", "--insecure"}, arity = "0..1", fallbackValue = "true", defaultValue = "false",
            description = "Accept any TLS certificate (tunnel and local targets).")
    boolean insecure;

    @Option(names = {"-certfile", "--certfile"}, paramLabel = "FILE",
            description = "Extra trusted CA certificate(s), PEM.")
    Path certFile;

    @Option(names = {"-tls-client-cert", "--tls-client-cert"}, paramLabel = "FILE",
            description = "Client certificate (PEM, chain allowed) presented to a wss:// server that requires "
                    + "mutual TLS; needs -tls-client-key.")
    Path tlsClientCert;

    @Option(names = {"-tls-client-key", "--tls-client-key"}, paramLabel = "FILE",
            description = "Private key of -tls-client-cert: PEM, unencrypted PKCS#8 (RSA, EC, Ed25519) or PKCS#1 RSA.")
    Path tlsClientKey;

    @Option(names = {"-deny", "--deny"}, paramLabel = "CIDR[,CIDR...]", split = ",",
            description = "Never connect to local targets resolving into these ranges (checked on the resolved "
                    + "address at connect time; repeatable). Added to the default deny list (link-local and cloud "
                    + "metadata: 0.0.0.0/8, 169.254.0.0/16, 100.100.100.200/32, ::/128, fe80::/10, fd00:ec2::254/128), "
                    + "which does not apply to the -server host; 'none' drops the defaults.")
    java.util.List<String> deny;

    @Option(names = {"-proxy", "--proxy"}, paramLabel = "URL",
            description = "HTTP CONNECT proxy for the tunnel: http://[user:pass@]host:port (default: from "
                    + "HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy, honouring NO_PROXY).")
    String proxy;

    @Option(names = {"-statusfile", "--statusfile"}, paramLabel = "FILE",
            description = "Rewrite FILE with the time of every pong (a stale file means the tunnel is down).")
    Path statusFile;

    @Option(names = {"-shutdown-grace", "--shutdown-grace"}, paramLabel = "SECONDS", defaultValue = "30",
            description = "On SIGTERM, how long requests being served may still run (default: ${DEFAULT-VALUE}).")
    long shutdownGrace;

    @Option(names = {"-protocol", "--protocol"}, paramLabel = "auto|v2|legacy", defaultValue = "auto",
            description = "Tunnel framing: auto offers wstunnel.v2 and falls back to the Go wstunnel framing when the "
                    + "server selects no subprotocol (a Go wstunnel srv); v2 refuses such servers; legacy speaks the Go "
                    + "framing and offers nothing (default: ${DEFAULT-VALUE}).")
    String protocol;

    @Option(names = {"-tcp", "--tcp"}, paramLabel = "NAME=HOST:PORT",
            description = "Expose a TCP target to WebSocket clients of the server at /_token/<token>/_tcp/NAME "
                    + "(repeatable). The agent connects only when a client arrives; -deny rules apply.")
    java.util.List<String> tcp;

    @Option(names = {"-max-stream-window", "--max-stream-window"}, paramLabel = "BYTES", defaultValue = "8388608",
            description = "Largest window a stream's request body may grow to while the tunnel link, not the local "
                    + "service, limits it (auto-tuning for long, fast links; at most twice this per tunnel in all); "
                    + "at or below 262144, windows never grow (default: ${DEFAULT-VALUE}).")
    int maxStreamWindow;

    @Mixin
    GoCompatOptions goCompat;

    @Mixin
    LoggingOptions logging;

    @Mixin
    DaemonOptions daemon;

    @Mixin
    HelpOption help;

    /** The agent configuration these options describe, reading proxy variables from {@code env}. */
    public AgentConfig agentConfig(Map<String, String> env) {
        if (tunnel == null || tunnel.isBlank()) {
            throw new UsageException("missing required option -tunnel ws[s]://host[:port][/base-path]");
        }
        if (token == null || token.isBlank()) {
            throw new UsageException("missing required option -token (at least " + MIN_TOKEN_LENGTH + " characters)");
        }
        URI tunnelUri = parseTunnel(tunnel);
        String tok = token;
        String password = null;
        int colon = token.indexOf(':');
        if (colon >= 0) {
            tok = token.substring(0, colon);
            password = token.substring(colon + 1);
            if (password.isEmpty()) {
                throw new UsageException("-token: empty password after ':'");
            }
        }
        if (tok.length() < MIN_TOKEN_LENGTH) {
            throw new UsageException("-token is too short: " + tok.length() + " characters, at least "
                    + MIN_TOKEN_LENGTH + " required");
        }
        if (password == null) {
            String fromEnv = env.get(PASSWORD_ENV);
            if (fromEnv != null && !fromEnv.isEmpty()) {
                password = fromEnv;
            }
        }
        URI serverUri = server == null || server.isBlank() ? null : parseServer(server);
        Pattern pattern = null;
        if (regexp != null && !regexp.isEmpty()) {
            try {
                pattern = Pattern.compile(regexp);
            } catch (PatternSyntaxException e) {
                throw new UsageException("-regexp '" + regexp + "' is not a valid regular expression: "
                        + e.getDescription() + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""));
            }
        }
        if (certFile != null && !Files.isReadable(certFile)) {
            throw new UsageException("-certfile " + certFile + ": no such readable file");
        }
        if ((tlsClientCert == null) != (tlsClientKey == null)) {
            throw new UsageException(tlsClientCert == null ? "-tls-client-key needs -tls-client-cert"
                    : "-tls-client-cert needs -tls-client-key");
        }
        if (tlsClientCert != null) {
            for (Path f : new Path[] {tlsClientCert, tlsClientKey}) {
                if (!Files.isReadable(f)) {
                    throw new UsageException((f == tlsClientCert ? "-tls-client-cert " : "-tls-client-key ") + f
                            + ": no such readable file");
                }
            }
            if (!tunnelUri.getScheme().equalsIgnoreCase("wss")) {
                throw new UsageException("-tls-client-cert needs a wss:// -tunnel, got " + tunnelUri);
            }
            try {
                io.wstunnel.cli.net.ClientCertificate.keyManagers(tlsClientCert, tlsClientKey);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        io.wstunnel.cli.net.AddressPolicy denyRules;
        try {
            denyRules = io.wstunnel.cli.net.AddressPolicy.parse(deny);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (statusFile != null) {
            try {
                io.wstunnel.cli.tunnel.StatusFile.checkWritable(statusFile);
            } catch (java.io.IOException e) {
                throw new UsageException("-statusfile " + statusFile + ": cannot be written: " + Main.oneLine(e.getMessage()));
            }
        }
        if (maxStreamWindow < 1) {
            throw new UsageException("-max-stream-window must be at least 1, got " + maxStreamWindow);
        }
        if (responseTimeout < 1 || responseTimeout > MAX_RESPONSE_TIMEOUT) {
            throw new UsageException("-response-timeout must be 1.." + MAX_RESPONSE_TIMEOUT + " seconds, got "
                    + responseTimeout);
        }
        OptionChecks.seconds("-shutdown-grace", shutdownGrace, 0, null);
        AgentConfig.Protocol framing;
        try {
            framing = AgentConfig.Protocol.parse(protocol == null ? "auto" : protocol);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        java.util.Map<String, String> tcpTargets;
        try {
            tcpTargets = io.wstunnel.cli.stream.RawStreams.parseTcpTargets(tcp);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        URI proxyUri;
        if (proxy != null && !proxy.isBlank()) {
            proxyUri = EnvProxy.parseProxyOption(proxy);
        } else {
            proxyUri = EnvProxy.resolve(env, tunnelUri).orElse(null);
        }
        return AgentConfig.builder()
                .tunnel(tunnelUri)
                .token(tok)
                .password(password)
                .server(serverUri)
                .hostPattern(pattern)
                .timeout(Duration.ofSeconds(SrvCommand.clamp(timeout, MIN_TIMEOUT, MAX_TIMEOUT)))
                .localResponseTimeout(Duration.ofSeconds(responseTimeout))
                .insecure(insecure)
                .certFile(certFile)
                .proxy(proxyUri)
                .statusFile(statusFile)
                .clientVersion(Version.clientVersion())
                .shutdownGrace(Duration.ofSeconds(shutdownGrace))
                .protocol(framing)
                .denyRules(denyRules)
                .tlsClientCert(tlsClientCert)
                .tlsClientKey(tlsClientKey)
                .tcpTargets(tcpTargets)
                .maxStreamWindow(maxStreamWindow)
                .build();
    }

    static URI parseTunnel(String value) {
        URI u = parseUri(value, "-tunnel");
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            throw new UsageException("-tunnel must start with ws:// or wss://, got '" + value + "'");
        }
        requireHost(u, value, "-tunnel");
        if (u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new UsageException("-tunnel must not have a query or fragment, got '" + value + "'");
        }
        return u; // user info (ws://user:pass@host) is sent as Basic credentials, as the Go agent does
    }

    static URI parseServer(String value) {
        URI u = parseUri(value, "-server");
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new UsageException("-server must start with http:// or https://, got '" + value + "'");
        }
        requireHost(u, value, "-server");
        if (u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new UsageException("-server must not have a query or fragment, got '" + value + "'");
        }
        return u;
    }

    static URI parseUri(String value, String option) {
        try {
            return new URI(value.trim());
        } catch (URISyntaxException e) {
            throw new UsageException(option + " '" + value + "' is not a valid URL: " + e.getReason());
        }
    }

    private static void requireHost(URI u, String value, String option) {
        if (u.getHost() == null || u.getHost().isEmpty()) {
            throw new UsageException(option + " '" + value + "' has no host name");
        }
    }

    public LoggingOptions logging() {
        return logging;
    }

    public DaemonOptions daemon() {
        return daemon;
    }

    @Override
    public Integer call() throws Exception {
        AgentConfig config = agentConfig(System.getenv());
        Logging.configure(logging);
        if (goCompat != null) {
            goCompat.warn(LOG);
        }
        if (config.server() == null && config.hostPattern() == null && config.tcpTargets().isEmpty()) {
            LOG.warn("neither -server nor -regexp given: every request will be refused (403)");
        }
        try (PidFile pid = PidFile.write(daemon.pidFile())) {
            LOG.info("wstunnel cli {} connecting to {} with token {}...{}", Version.get(), AgentConfig.redact(config.tunnel()),
                    config.token().substring(0, 8), config.proxy() == null ? "" : " via proxy "
                            + EnvProxy.withoutUserInfo(config.proxy()));
            Agent agent = Agent.start(config);
            Termination termination = Termination.install(() -> {
                LOG.info("stopping: requests being served have {} s to finish", config.shutdownGrace().toSeconds());
                agent.stop(config.shutdownGrace());
                LOG.info("stopped");
            });
            termination.await();
        }
        return Main.EXIT_OK;
    }
}
