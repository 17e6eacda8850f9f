package io.wstunnel.e2e.legacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wstunnel.cli.Agent;
import io.wstunnel.cli.AgentConfig;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Interoperability with the Go wstunnel framing, end to end, with test-only legacy peers written from
 * LEGACY.md: our server + a legacy test agent, and our agent (-protocol legacy) + a legacy test server,
 * each directly and through an HTTP CONNECT proxy. The scenarios are those of the Go project's own
 * end-to-end suite.
 */
@Timeout(120)
class LegacyInteropE2ETest {
    static final String TOKEN = "legacy-e2e-token-0123456789";

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final HttpClient caller = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** A tunnel to test: where callers go and how many CONNECTs its agent made. */
    record Rig(String name, String callerBase, ConnectCountingProxy proxy) {
        @Override
        public String toString() {
            return name;
        }
    }

    @AfterEach
    void closeAll() {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                // best effort
            }
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        closeables.add(c);
        return c;
    }

    static Stream<String> rigs() {
        return Stream.of("our-srv+legacy-test-agent", "our-srv+legacy-test-agent+proxy",
                "legacy-test-srv+our-agent", "legacy-test-srv+our-agent+proxy");
    }

    private Rig rig(String kind) throws Exception {
        E2eBackend backend = closing(new E2eBackend("b1"));
        ConnectCountingProxy proxy = kind.endsWith("+proxy") ? closing(new ConnectCountingProxy()) : null;
        if (kind.startsWith("our-srv")) {
            TunnelServer srv = ourServer();
            InetSocketAddress p = proxy == null ? null : new InetSocketAddress("127.0.0.1", proxy.port());
            closing(new LegacyTestAgent(URI.create("ws://127.0.0.1:" + srv.port()), TOKEN, backend.url(), p));
            return new Rig(kind, "http://127.0.0.1:" + srv.port(), proxy);
        }
        LegacyTestServer srv = closing(new LegacyTestServer(TOKEN));
        AgentConfig.Builder b = agentConfig(srv.tunnel(), backend.url()).protocol(AgentConfig.Protocol.LEGACY);
        if (proxy != null) {
            b.proxy(URI.create("http://127.0.0.1:" + proxy.port()));
        }
        ourAgent(b.build());
        await().atMost(Duration.ofSeconds(10)).until(() -> srv.connectedAgents() == 1);
        return new Rig(kind, "http://127.0.0.1:" + srv.port(), proxy);
    }

    private TunnelServer ourServer() {
        TunnelServer srv = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0)
                .shutdownGrace(Duration.ofSeconds(1)).build());
        closing(() -> srv.stop(Duration.ZERO));
        return srv;
    }

    static AgentConfig.Builder agentConfig(URI tunnel, String backend) {
        return AgentConfig.builder().tunnel(tunnel).token(TOKEN).server(URI.create(backend))
                .timeout(Duration.ofSeconds(30)).dialTimeout(Duration.ofSeconds(5))
                .maxBackoff(Duration.ofSeconds(1)).shutdownGrace(Duration.ofSeconds(1));
    }

    private Agent ourAgent(AgentConfig config) throws InterruptedException {
        Agent a = Agent.start(config);
        closing(() -> a.stop(Duration.ZERO));
        assertThat(a.awaitConnected(Duration.ofSeconds(15))).isTrue();
        return a;
    }

    private HttpResponse<byte[]> call(String base, String method, String path, byte[] body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("X-Token", TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return caller.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rigs")
    void goEndToEndScenarios(String kind) throws Exception {
        Rig rig = rig(kind);
        String base = rig.callerBase();

        // hello with Content-Type
        HttpResponse<byte[]> hello = call(base, "GET", "/hello", null);
        assertThat(hello.statusCode()).isEqualTo(200);
        assertThat(text(hello)).isEqualTo("Hello, World!");
        assertThat(hello.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");

        // 12 MiB POST
        byte[] upload = E2eBackend.bytes(E2eBackend.BIG, 7);
        HttpResponse<byte[]> post = call(base, "POST", "/echo", upload, "Content-Type", "application/octet-stream");
        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(text(post)).isEqualTo(upload.length + " " + E2eBackend.sha256(upload));

        // 12 MiB GET, byte-exact
        HttpResponse<byte[]> big = call(base, "GET", "/big", null);
        assertThat(big.statusCode()).isEqualTo(200);
        assertThat(big.body()).hasSize(E2eBackend.BIG);
        assertThat(E2eBackend.sha256(big.body())).isEqualTo(E2eBackend.sha256(E2eBackend.BIG_BODY));

        // status 445 passed through
        assertThat(call(base, "GET", "/status445", null).statusCode()).isEqualTo(445);

        // 100 sequential requests
        for (int i = 0; i < 100; i++) {
            HttpResponse<byte[]> r = call(base, "GET", "/seq/" + i, null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(text(r)).isEqualTo("b1 /seq/" + i);
        }

        // 20 concurrent requests with delays, answered out of order
        ConcurrentLinkedQueue<Integer> completion = new ConcurrentLinkedQueue<>();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int n = i;
            String q = "ms=" + ((20 - i) * 40) + "&i=" + i;
            all.add(CompletableFuture.runAsync(() -> {
                try {
                    HttpResponse<byte[]> r = call(base, "GET", "/delay?" + q, null);
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(text(r)).isEqualTo(q);
                    completion.add(n);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
            Thread.sleep(5);
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get();
        assertThat(completion).hasSize(20);
        assertThat(new ArrayList<>(completion)).isNotEqualTo(new ArrayList<>(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                11, 12, 13, 14, 15, 16, 17, 18, 19)));
        assertThat(completion.peek()).isGreaterThan(10); // a short delay (sent late) finished first

        if (rig.proxy() != null) {
            assertThat(rig.proxy().connects.get()).as("CONNECTs per agent connection").isEqualTo(1);
        }
    }

    @Test
    void unknownTokenIs404OnOurServerWithALegacyAgent() throws Exception {
        Rig rig = rig("our-srv+legacy-test-agent");
        HttpResponse<String> r = caller.send(HttpRequest.newBuilder(URI.create(rig.callerBase() + "/hello"))
                .header("X-Token", "no-such-token-0123456789").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("Tunnel not found (or not seen in a long time)");
    }

    @Test
    void ourLegacyAgentReconnectsAfterItsSocketIsClosed() throws Exception {
        E2eBackend backend = closing(new E2eBackend("b1"));
        LegacyTestServer srv = closing(new LegacyTestServer(TOKEN));
        ourAgent(agentConfig(srv.tunnel(), backend.url()).protocol(AgentConfig.Protocol.LEGACY).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> srv.connectedAgents() == 1);
        String base = "http://127.0.0.1:" + srv.port();
        assertThat(call(base, "GET", "/hello", null).statusCode()).isEqualTo(200);
        srv.dropAgents();
        await().atMost(Duration.ofSeconds(15)).until(() -> srv.upgrades.get() == 2 && srv.connectedAgents() == 1);
        assertThat(call(base, "GET", "/hello", null).statusCode()).isEqualTo(200);
        // the legacy upgrade: token in Origin, a client version, no subprotocol offered
        assertThat(srv.upgradeHeaders.get(1).get("Origin")).containsExactly(TOKEN);
        assertThat(srv.upgradeHeaders.get(1)).containsKey("X-Client-Version").doesNotContainKey("Sec-WebSocket-Protocol");
    }

    @Test
    void xHostCasesThroughOurLegacyAgent() throws Exception {
        E2eBackend backend = closing(new E2eBackend("b1"));
        E2eBackend other = closing(new E2eBackend("b2"));
        LegacyTestServer srv = closing(new LegacyTestServer(TOKEN));
        ourAgent(agentConfig(srv.tunnel(), backend.url()).protocol(AgentConfig.Protocol.LEGACY)
                .hostPattern(Pattern.compile("http://127\\.0\\.0\\.1:" + other.url().replaceAll(".*:", ""))).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> srv.connectedAgents() == 1);
        String base = "http://127.0.0.1:" + srv.port();
        // X-Host matching -regexp: goes there
        HttpResponse<byte[]> allowed = call(base, "GET", "/x", null, "X-Host", other.url());
        assertThat(text(allowed)).isEqualTo("b2 /x");
        // X-Host not matching: 403, the local services are not contacted
        int hits = backend.hits.get() + other.hits.get();
        HttpResponse<byte[]> refused = call(base, "GET", "/x", null, "X-Host", "http://evil.example.com");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(text(refused)).isEqualTo("X-Host header 'http://evil.example.com' does not match regexp in wstunnel cli");
        assertThat(backend.hits.get() + other.hits.get()).isEqualTo(hits);
        // no X-Host: -server
        assertThat(text(call(base, "GET", "/x", null))).isEqualTo("b1 /x");
    }

    @Test
    void noFileDescriptorLeakAfter100Requests() throws Exception {
        File fds = new File("/proc/self/fd");
        org.junit.jupiter.api.Assumptions.assumeTrue(fds.isDirectory(), "needs /proc/self/fd");
        Rig rig = rig("legacy-test-srv+our-agent");
        for (int i = 0; i < 10; i++) {
            call(rig.callerBase(), "GET", "/warm/" + i, null);
        }
        int before = fds.list().length;
        for (int i = 0; i < 100; i++) {
            assertThat(call(rig.callerBase(), "GET", "/fd/" + i, null).statusCode()).isEqualTo(200);
        }
        Thread.sleep(300);
        int after = fds.list().length;
        assertThat(after - before).as("fds before %d, after %d", before, after).isLessThan(20);
    }

    @Test
    void mixedTunnelLegacyAndV2AgentsOnOneTokenOfOurServer() throws Exception {
        E2eBackend legacyBackend = closing(new E2eBackend("legacy"));
        E2eBackend v2Backend = closing(new E2eBackend("v2"));
        TunnelServer srv = ourServer();
        URI tunnel = URI.create("ws://127.0.0.1:" + srv.port());
        ourAgent(agentConfig(tunnel, legacyBackend.url()).protocol(AgentConfig.Protocol.LEGACY).build());
        ourAgent(agentConfig(tunnel, v2Backend.url()).protocol(AgentConfig.Protocol.AUTO).build());
        String base = "http://127.0.0.1:" + srv.port();
        List<CompletableFuture<HttpResponse<byte[]>>> rs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            int n = i;
            rs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return call(base, "GET", "/delay?ms=30&i=" + n, null);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (CompletableFuture<HttpResponse<byte[]>> f : rs) {
            assertThat(f.get().statusCode()).isEqualTo(200);
        }
        assertThat(legacyBackend.hits.get()).isPositive();
        assertThat(v2Backend.hits.get()).isPositive();
        assertThat(legacyBackend.hits.get() + v2Backend.hits.get()).isEqualTo(40);
    }
}
