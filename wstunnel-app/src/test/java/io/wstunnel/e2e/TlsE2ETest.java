package io.wstunnel.e2e;

import io.wstunnel.srv.tls.TestPki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.sun.net.httpserver.HttpServer;
import io.wstunnel.cli.Agent;
import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.tunnel.Connector;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import io.wstunnel.srv.admin.TokenIds;
import io.wstunnel.srv.tls.TlsSettings;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Native TLS end to end: the real server serving HTTPS/WSS from a PEM certificate made in the test, the
 * real agent dialing {@code wss://}, a real local HTTP service, and callers using HTTPS. Covers
 * {@code -certfile}, {@code -agent-ca} (mutual TLS), {@code -agent-cert-binds-token}, and the agent
 * refusing a server certificate it does not trust.
 *
 * <p>"Refused" is asserted from both sides: the agent logs the server's answer (or its own TLS failure)
 * for this server's port, again and again as it retries, the server has no agent socket, the caller
 * gets the README's answer for a token without an agent ({@code 404 Tunnel not found (or not seen in
 * a long time)}), and the local service sees no request.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TlsE2ETest {

    private static final Duration CONNECT_WAIT = Duration.ofSeconds(15);
    private static final Duration REFUSAL_WAIT = Duration.ofSeconds(20);
    private static final String NO_TUNNEL = "Tunnel not found (or not seen in a long time)";

    /** Tokens known when the certificates are made, for the certificates bound to a token. */
    private static final String BOUND_TOKEN = TunnelFixture.randomToken();
    private static final String OTHER_TOKEN = TunnelFixture.randomToken();

    @TempDir
    static Path dir;
    static TestPki.Identity serverCa;
    static TestPki.Identity agentCa;
    static TestPki.Identity otherCa;
    static TestPki.Identity server;
    static TestPki.Identity agentCert;
    static TestPki.Identity foreignCert;
    static TestPki.Identity boundBySanId;
    static TestPki.Identity boundByCn;
    static TestPki.Identity boundToOther;
    static Path serverCaPem;
    static Path agentCaPem;
    static Pair serverPem;

    private HttpServer backend;
    private ExecutorService backendExecutor;
    private final AtomicInteger backendHits = new AtomicInteger();
    private TunnelServer srv;
    private final List<Agent> agents = new ArrayList<>();
    private HttpClient caller;
    private final LogCapture connectorLog = new LogCapture();

    @BeforeAll
    static void pki() throws Exception {
        TestPki pki = new TestPki(dir);
        serverCa = pki.ca("server-ca");
        agentCa = pki.ca("agent-ca");
        otherCa = pki.ca("other-ca");
        server = pki.signed(serverCa, "server", "CN=wstunnel-e2e-server", "SAN=ip:127.0.0.1", "EKU=serverAuth");
        agentCert = pki.signed(agentCa, "agent", "CN=agent-one", "EKU=clientAuth");
        foreignCert = pki.signed(otherCa, "foreign", "CN=agent-one", "EKU=clientAuth");
        boundBySanId = pki.signed(agentCa, "bound-san", "CN=whatever", "SAN=dns:" + TokenIds.id(BOUND_TOKEN),
                "EKU=clientAuth");
        boundByCn = pki.signed(agentCa, "bound-cn", "CN=" + BOUND_TOKEN, "EKU=clientAuth");
        boundToOther = pki.signed(agentCa, "bound-other", "CN=" + OTHER_TOKEN, "EKU=clientAuth");
        serverCaPem = writeCert(serverCa);
        agentCaPem = writeCert(agentCa);
        serverPem = writePem(server);
    }

    @BeforeEach
    void start() throws Exception {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        backendExecutor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "tls-e2e-backend");
            t.setDaemon(true);
            return t;
        });
        backend.setExecutor(backendExecutor);
        backend.createContext("/", ex -> {
            backendHits.incrementAndGet();
            byte[] body = ("backend body for " + ex.getRequestURI()).getBytes(StandardCharsets.UTF_8);
            String proto = ex.getRequestHeaders().getFirst("X-Forwarded-Proto");
            ex.getResponseHeaders().add("X-Seen-Forwarded-Proto", proto == null ? "(none)" : proto);
            ex.getResponseHeaders().add("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        backend.createContext("/bulk", ex -> {
            // GET /bulk?n=BYTES: a deterministic body; POST: answers the SHA-256 and length of what arrived
            try (java.io.InputStream in = ex.getRequestBody(); OutputStream out = ex.getResponseBody()) {
                if ("POST".equals(ex.getRequestMethod())) {
                    java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
                    long n = 0;
                    byte[] buf = new byte[64 * 1024];
                    for (int r; (r = in.read(buf)) > 0; n += r) {
                        md.update(buf, 0, r);
                    }
                    byte[] answer = (n + " " + java.util.HexFormat.of().formatHex(md.digest())).getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(200, answer.length);
                    out.write(answer);
                } else {
                    int n = Integer.parseInt(ex.getRequestURI().getQuery().substring(2));
                    ex.sendResponseHeaders(200, n);
                    out.write(pattern(n));
                }
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new java.io.IOException(e);
            }
        });
        backend.start();
        caller = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .sslContext(TestPki.trusting(serverCa.cert()))
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        connectorLog.attach();
    }

    @AfterEach
    void stop() {
        for (Agent a : agents) {
            quietly(() -> a.stop(Duration.ZERO));
        }
        agents.clear();
        if (srv != null) {
            quietly(() -> srv.stop(Duration.ZERO));
        }
        if (backend != null) {
            quietly(() -> backend.stop(0));
            backendExecutor.shutdownNow();
        }
        connectorLog.detach();
        caller = null;
    }

    // ------------------------------------------------------------------ 1. -certfile

    @Test
    void wssTunnelTrustedThroughCertfileServesAnHttpsCaller() throws Exception {
        startServer(TlsSettings.pem(serverPem.cert().toString(), serverPem.key().toString()));
        String token = TunnelFixture.randomToken();
        Agent a = startAgent(agentConfig(token).build());

        assertConnected(a, 1);
        HttpResponse<String> r = get(token, "/hello/tls?x=1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("backend body for /hello/tls?x=1");
        assertThat(r.headers().firstValue("X-Seen-Forwarded-Proto"))
                .as("the server tells the local service the caller used https").hasValue("https");
        assertThat(r.sslSession()).as("the caller really spoke TLS").isPresent();
        assertThat(backendHits.get()).isEqualTo(1);
    }

    @Test
    void bulkBodiesBothWaysOverWssAreByteExact() throws Exception {
        // Exercises the server's own WebSocket layer under TLS: partial writes, flushes and many reads per frame.
        startServer(TlsSettings.pem(serverPem.cert().toString(), serverPem.key().toString()));
        String token = TunnelFixture.randomToken();
        assertConnected(startAgent(agentConfig(token).build()), 1);
        int size = 6 * 1024 * 1024 + 123;
        java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<byte[]>>> downloads = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            downloads.add(caller.sendAsync(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + srv.port() + "/bulk?n=" + size))
                    .timeout(Duration.ofSeconds(60)).header("X-Token", token).GET().build(), HttpResponse.BodyHandlers.ofByteArray()));
        }
        byte[] upload = pattern(size);
        HttpResponse<String> up = caller.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + srv.port() + "/bulk"))
                .timeout(Duration.ofSeconds(60)).header("X-Token", token)
                .POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(up.body()).isEqualTo(size + " " + java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(upload)));
        for (var d : downloads) {
            HttpResponse<byte[]> r = d.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(java.util.Arrays.equals(r.body(), upload)).as("download byte-exact").isTrue();
        }
    }

    /** {@code n} bytes that differ at every offset modulo a prime, so shifted or lost chunks show. */
    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + i / 251);
        }
        return b;
    }

    // ------------------------------------------------------------------ 2. -agent-ca (mutual TLS)

    @Test
    void mutualTlsAgentWithCertificateFromTheAgentCaServes() throws Exception {
        startServer(mtls(false));
        String token = TunnelFixture.randomToken();
        Agent a = startAgent(withClientCert(agentConfig(token), agentCert).build());

        assertConnected(a, 1);
        // The caller presents no certificate: callers are not asked to.
        HttpResponse<String> r = get(token, "/mtls");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("backend body for /mtls");
        assertThat(backendHits.get()).isEqualTo(1);
    }

    @Test
    void mutualTlsAgentWithoutClientCertificateGetsNoTunnel() throws Exception {
        startServer(mtls(false));
        String token = TunnelFixture.randomToken();
        Agent a = startAgent(agentConfig(token).build());

        assertRefused(a, token, "HTTP 403 Client certificate required for agents", 0);
    }

    @Test
    void mutualTlsAgentWithCertificateFromAnotherCaGetsNoTunnel() throws Exception {
        startServer(mtls(false));
        String token = TunnelFixture.randomToken();
        Agent a = startAgent(withClientCert(agentConfig(token), foreignCert).build());

        assertRefused(a, token, "HTTP 403 Client certificate not issued by the agent CA", 0);
    }

    // ------------------------------------------------------------------ 3. -agent-cert-binds-token

    @Test
    void boundCertificateNamingTheTokenIdOrTheTokenServes() throws Exception {
        startServer(mtls(true));
        Agent bySan = startAgent(withClientCert(agentConfig(BOUND_TOKEN), boundBySanId).build());
        assertConnected(bySan, 1);
        Agent byCn = startAgent(withClientCert(agentConfig(BOUND_TOKEN), boundByCn).build());
        assertConnected(byCn, 2);

        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = get(BOUND_TOKEN, "/bound/" + i);
            assertThat(r.statusCode()).as("request %d", i).isEqualTo(200);
            assertThat(r.body()).isEqualTo("backend body for /bound/" + i);
        }
        assertThat(backendHits.get()).isEqualTo(4);
    }

    @Test
    void boundCertificateNamingAnotherTokenGetsNoTunnel() throws Exception {
        startServer(mtls(true));
        // A certificate from the agent CA, but naming OTHER_TOKEN.
        Agent wrong = startAgent(withClientCert(agentConfig(BOUND_TOKEN), boundToOther).build());
        assertRefused(wrong, BOUND_TOKEN, "HTTP 403 Client certificate does not match the token", 0);

        // The same certificate is good for the token it names: only the binding refused it above.
        Agent right = startAgent(withClientCert(agentConfig(OTHER_TOKEN), boundToOther).build());
        assertConnected(right, 1);
        HttpResponse<String> r = get(OTHER_TOKEN, "/other");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("backend body for /other");
        // ...and the refused agent still has no tunnel.
        assertThat(wrong.isConnected()).isFalse();
        assertNoTunnel(BOUND_TOKEN);
        assertThat(srv.agents()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ 4. untrusted server certificate

    @Test
    void agentRefusesAServerCertificateItDoesNotTrust() throws Exception {
        startServer(TlsSettings.pem(serverPem.cert().toString(), serverPem.key().toString()));
        String token = TunnelFixture.randomToken();
        // Neither -certfile nor -insecure: only the JDK's default trust store, which lacks the test CA.
        Agent untrusting = startAgent(agentConfig(token).certFile(null).insecure(false).build());

        assertRefused(untrusting, token, "PKIX path building failed: unable to find valid certification path", 0);

        // The server itself is fine: the same agent configuration with -certfile connects and serves.
        Agent trusting = startAgent(agentConfig(token).build());
        assertConnected(trusting, 1);
        HttpResponse<String> r = get(token, "/after");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("backend body for /after");
        assertThat(untrusting.isConnected()).isFalse();
        assertThat(srv.agents()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ helpers

    private static TlsSettings mtls(boolean bindsToken) {
        return TlsSettings.pem(serverPem.cert().toString(), serverPem.key().toString())
                .withAgentCa(agentCaPem.toString(), bindsToken);
    }

    private void startServer(TlsSettings tls) {
        srv = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0)
                .shutdownGrace(Duration.ofSeconds(2)).httpTimeout(Duration.ofSeconds(30)).tls(tls).build());
        assertThat(srv.tls()).as("native TLS is on").isNotNull();
    }

    /** wss:// to the server, the server CA as -certfile, -server = the backend. */
    private AgentConfig.Builder agentConfig(String token) {
        return AgentConfig.builder()
                .tunnel(URI.create("wss://127.0.0.1:" + srv.port()))
                .token(token)
                .server(URI.create("http://127.0.0.1:" + backend.getAddress().getPort()))
                .certFile(serverCaPem)
                .dialTimeout(Duration.ofSeconds(5))
                .maxBackoff(Duration.ofSeconds(1))
                .shutdownGrace(Duration.ofSeconds(1));
    }

    private static AgentConfig.Builder withClientCert(AgentConfig.Builder b, TestPki.Identity id) throws Exception {
        Pair files = writePem(id);
        return b.tlsClientCert(files.cert()).tlsClientKey(files.key());
    }

    private Agent startAgent(AgentConfig config) {
        Agent a = Agent.start(config);
        agents.add(a);
        return a;
    }

    private void assertConnected(Agent a, int expectedAgentsOnServer) throws InterruptedException {
        assertThat(a.awaitConnected(CONNECT_WAIT)).as("agent connected within %s", CONNECT_WAIT).isTrue();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(srv.agents()).isEqualTo(expectedAgentsOnServer));
    }

    /**
     * The agent was turned away at least twice (logged with {@code reason}, for this server's port) and
     * holds no tunnel; the server has {@code agentsOnServer} agent sockets; callers of {@code token}
     * get the no-tunnel answer; the local service saw nothing of it.
     */
    private void assertRefused(Agent a, String token, String reason, int agentsOnServer) throws Exception {
        String target = "wss://127.0.0.1:" + srv.port() + "/";
        await().atMost(REFUSAL_WAIT).untilAsserted(() -> assertThat(connectorLog.warnings())
                .filteredOn(m -> m.contains(target) && m.contains(reason))
                .as("agent warnings naming %s and '%s' (all warnings: %s)", target, reason, connectorLog.warnings())
                .hasSizeGreaterThanOrEqualTo(2));
        assertThat(a.isConnected()).as("refused agent connected").isFalse();
        assertThat(srv.agents()).as("agent sockets on the server").isEqualTo(agentsOnServer);
        int hitsBefore = backendHits.get();
        assertNoTunnel(token);
        assertThat(backendHits.get()).as("requests reaching the local service").isEqualTo(hitsBefore);
    }

    private void assertNoTunnel(String token) throws Exception {
        HttpResponse<String> r = get(token, "/never");
        assertThat(r.statusCode()).as("caller status for a token without agent").isEqualTo(404);
        assertThat(r.body()).contains(NO_TUNNEL);
    }

    private HttpResponse<String> get(String token, String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + srv.port() + path))
                .timeout(Duration.ofSeconds(30)).header("X-Token", token).GET().build();
        return caller.send(req, HttpResponse.BodyHandlers.ofString());
    }

    private static void quietly(TunnelFixture.ThrowingRunnable r) {
        try {
            r.run();
        } catch (Throwable ignored) {
            // best-effort cleanup
        }
    }

    /** WARN lines of the agent's connector (dial failures and refused handshakes), thread-safe. */
    private static final class LogCapture extends AppenderBase<ILoggingEvent> {
        private final Queue<String> warnings = new ConcurrentLinkedQueue<>();
        private final Logger logger = (Logger) LoggerFactory.getLogger(Connector.class);

        void attach() {
            setContext(logger.getLoggerContext());
            start();
            logger.addAppender(this);
        }

        void detach() {
            logger.detachAppender(this);
            stop();
        }

        List<String> warnings() {
            return new ArrayList<>(warnings);
        }

        @Override
        protected void append(ILoggingEvent e) {
            if (e.getLevel().isGreaterOrEqual(Level.WARN)) {
                warnings.add(e.getFormattedMessage());
            }
        }
    }

    record Pair(Path cert, Path key) {
    }

    /** {@code <dir>/<name>.chain.pem} (chain, leaf first) and {@code <dir>/<name>.key.pem} (PKCS#8). */
    private static Pair writePem(TestPki.Identity id) throws java.io.IOException {
        Path[] files = id.writePem(dir.resolve(id.name() + ".chain.pem"), dir.resolve(id.name() + ".key.pem"));
        return new Pair(files[0], files[1]);
    }

    /** Only the leaf certificate (a CA to trust) in {@code <dir>/<name>.crt}. */
    private static Path writeCert(TestPki.Identity id) throws java.io.IOException {
        return java.nio.file.Files.writeString(dir.resolve(id.name() + ".crt"), io.wstunnel.srv.tls.Pem.encode(id.cert()));
    }
}
