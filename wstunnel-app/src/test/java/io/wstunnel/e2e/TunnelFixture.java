package io.wstunnel.e2e;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.sun.net.httpserver.HttpServer;
import io.wstunnel.cli.Agent;
import io.wstunnel.cli.AgentConfig;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real {@link TunnelServer}, one real {@link Agent} and one local service ("backend"), all on
 * 127.0.0.1 with ephemeral ports, started before each test and stopped after it.
 *
 * <p>Register as an instance field:
 * <pre>
 * &#64;RegisterExtension
 * final TunnelFixture tunnel = TunnelFixture.withWireMock().server(b -&gt; b.maxRequestsPerTunnel(2));
 * </pre>
 * The backend is either a WireMock server ({@link #wireMock()}) or a JDK {@link HttpServer} whose
 * contexts the test sets up ({@link #withJdkBackend(Consumer)}). The agent's {@code -server} points
 * at that backend.
 */
public final class TunnelFixture implements BeforeEachCallback, AfterEachCallback {

    public static final Duration CONNECT_WAIT = Duration.ofSeconds(15);
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Consumer<HttpServer> jdkBackendSetup;
    private UnaryOperator<ServerConfig.Builder> serverCustomizer = UnaryOperator.identity();
    private UnaryOperator<AgentConfig.Builder> agentCustomizer = UnaryOperator.identity();
    private boolean startAgent = true;
    private String password;

    private final String token = randomToken();
    private WireMockServer wireMock;
    private HttpServer jdkBackend;
    private ExecutorService jdkBackendExecutor;
    private TunnelServer server;
    private final List<Agent> agents = new ArrayList<>();
    private final List<AutoCloseable> extraResources = new ArrayList<>();
    private Agent agent;
    private HttpClient client;

    private TunnelFixture(Consumer<HttpServer> jdkBackendSetup) {
        this.jdkBackendSetup = jdkBackendSetup;
    }

    /** The backend is a WireMock server; stub it in the test (or in a @BeforeEach). */
    public static TunnelFixture withWireMock() {
        return new TunnelFixture(null);
    }

    /** The backend is a JDK HttpServer; {@code setup} adds its contexts. */
    public static TunnelFixture withJdkBackend(Consumer<HttpServer> setup) {
        return new TunnelFixture(setup);
    }

    public TunnelFixture server(UnaryOperator<ServerConfig.Builder> customizer) {
        this.serverCustomizer = customizer;
        return this;
    }

    public TunnelFixture agent(UnaryOperator<AgentConfig.Builder> customizer) {
        this.agentCustomizer = customizer;
        return this;
    }

    /** The token gets this password on the server and the agent uses it. */
    public TunnelFixture password(String pw) {
        this.password = pw;
        return this;
    }

    /** Start no agent automatically; the test calls {@link #startAgent()}. */
    public TunnelFixture noAgent() {
        this.startAgent = false;
        return this;
    }

    public static String randomToken() {
        StringBuilder sb = new StringBuilder("e2e-");
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        for (int i = 0; i < 24; i++) {
            sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        if (jdkBackendSetup == null) {
            wireMock = new WireMockServer(wireMockConfig().dynamicPort().bindAddress("127.0.0.1")
                    .containerThreads(120).jettyAcceptors(1).gzipDisabled(true));
            wireMock.start();
        } else {
            jdkBackend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
            jdkBackendExecutor = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "e2e-backend");
                t.setDaemon(true);
                return t;
            });
            jdkBackend.setExecutor(jdkBackendExecutor);
            jdkBackendSetup.accept(jdkBackend);
            jdkBackend.start();
        }
        ServerConfig.Builder sb = ServerConfig.builder().host("127.0.0.1").port(0)
                .shutdownGrace(Duration.ofSeconds(2));
        if (password != null) {
            sb.password(token, password);
        }
        server = TunnelServer.start(serverCustomizer.apply(sb).build());
        if (startAgent) {
            agent = startAgent();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        for (Agent a : agents) {
            quietly(() -> a.stop(Duration.ZERO));
        }
        agents.clear();
        if (server != null) {
            quietly(() -> server.stop(Duration.ZERO));
        }
        for (AutoCloseable c : extraResources) {
            quietly(c::close);
        }
        extraResources.clear();
        if (wireMock != null) {
            quietly(wireMock::stop);
        }
        if (jdkBackend != null) {
            quietly(() -> jdkBackend.stop(0));
            jdkBackendExecutor.shutdownNow();
        }
        // java.net.http.HttpClient has no close() on Java 17; dropping it lets its threads go idle.
        client = null;
    }

    private static void quietly(ThrowingRunnable r) {
        try {
            r.run();
        } catch (Throwable ignored) {
            // best-effort cleanup
        }
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    // ---------------------------------------------------------------- agents

    /** The agent configuration the fixture uses (token, tunnel, -server = backend), customised. */
    public AgentConfig.Builder agentConfig() {
        AgentConfig.Builder b = AgentConfig.builder()
                .tunnel(URI.create("ws://127.0.0.1:" + server.port() + server.config().basePath()))
                .token(token)
                .password(password)
                .server(URI.create(backendUrl()))
                .maxBackoff(Duration.ofSeconds(2))
                .shutdownGrace(Duration.ofSeconds(2));
        return agentCustomizer.apply(b);
    }

    /** Starts one more agent on the fixture's token and waits until it is connected. */
    public Agent startAgent() throws InterruptedException {
        return startAgent(agentConfig().build());
    }

    public Agent startAgent(AgentConfig config) throws InterruptedException {
        Agent a = Agent.start(config);
        agents.add(a);
        if (!a.awaitConnected(CONNECT_WAIT)) {
            throw new AssertionError("agent did not connect within " + CONNECT_WAIT);
        }
        return a;
    }

    /** Closes {@code c} after the test (after agents and server). */
    public <T extends AutoCloseable> T closeAfter(T c) {
        extraResources.add(c);
        return c;
    }

    // ---------------------------------------------------------------- accessors

    public String token() {
        return token;
    }

    public Agent agent() {
        return agent;
    }

    public TunnelServer tunnelServer() {
        return server;
    }

    public int serverPort() {
        return server.port();
    }

    /** http://127.0.0.1:port + base path (no trailing slash). */
    public String serverUrl() {
        return "http://127.0.0.1:" + server.port() + server.config().basePath();
    }

    public WireMockServer wireMock() {
        if (wireMock == null) {
            throw new IllegalStateException("this fixture has a JDK backend");
        }
        return wireMock;
    }

    public int backendPort() {
        return wireMock != null ? wireMock.port() : jdkBackend.getAddress().getPort();
    }

    public String backendUrl() {
        return "http://127.0.0.1:" + backendPort();
    }

    public HttpClient client() {
        return client;
    }

    // ---------------------------------------------------------------- callers

    /** A request builder for {@code path} (starting with '/') on the server with the X-Token header. */
    public HttpRequest.Builder callerRequest(String path) {
        return HttpRequest.newBuilder(URI.create(serverUrl() + path))
                .timeout(REQUEST_TIMEOUT)
                .header("X-Token", token);
    }

    /** GET {@code path} with X-Token and the extra header name/value pairs; body as a string. */
    public HttpResponse<String> callerGet(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = callerRequest(path).GET();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GET of a full URL (no X-Token added). */
    public HttpResponse<String> plainGet(String url, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(REQUEST_TIMEOUT).GET();
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void shutdownAndWait(ExecutorService ex) throws InterruptedException {
        ex.shutdownNow();
        ex.awaitTermination(10, TimeUnit.SECONDS);
    }
}
