package io.wstunnel.srv.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.ServerConfig;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** /admin/events, admin actions, api-docs, redirect, UI page and the separate admin listener. */
class AdminControlTest extends AdminTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();

    /** Subscribes to /admin/events; lines arrive in the returned queue. */
    BlockingQueue<String> events(int port) throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        HttpResponse<Stream<String>> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/admin/events")).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        Thread t = new Thread(() -> {
            try {
                r.body().forEach(lines::add);
            } catch (RuntimeException ignored) {
                // stream closed at the end of the test
            }
        }, "sse-reader");
        t.setDaemon(true);
        t.start();
        closeLater(() -> r.body().close());
        return lines;
    }

    static String awaitLine(BlockingQueue<String> q, String prefix) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            String l = q.poll(200, TimeUnit.MILLISECONDS);
            if (l != null && l.startsWith(prefix)) {
                return l;
            }
        }
        throw new AssertionError("no line starting with " + prefix);
    }

    @Test
    void eventStreamBlockUnblockAndDisconnect() throws Exception {
        start();
        BlockingQueue<String> ev = events(server.port());
        FrameAgent a = agent(VECTOR_TOKEN);
        assertThat(awaitLine(ev, "event: ")).isEqualTo("event: agent_connected");
        String data = awaitLine(ev, "data: ");
        assertThat(data).contains("\"token\":\"vectorto...\"", "\"protocol\":\"wstunnel.v2\"").doesNotContain(VECTOR_TOKEN);
        String agentId = JSON.readTree(data.substring(6)).get("agent_id").asText();

        // block: the agent goes, new agents and callers get 403
        String id = TokenIds.id(VECTOR_TOKEN);
        assertThat(post("/admin/tokens/" + id + "/block", "Origin", "http://evil.example").statusCode()).isEqualTo(403);
        assertThat(get("/admin/tokens/" + id + "/block").statusCode()).isEqualTo(405);
        HttpResponse<String> blocked = post("/admin/tokens/" + id + "/block");
        assertThat(blocked.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(blocked.body()).get("changed").asBoolean()).isTrue();
        a.closed.get(10, TimeUnit.SECONDS);
        awaitLine(ev, "event: token_blocked");
        HttpResponse<String> caller = tunnelled(VECTOR_TOKEN, "/x").get(10, TimeUnit.SECONDS);
        assertThat(caller.statusCode()).isEqualTo(403);
        assertThat(caller.body()).isEqualTo("Tunnel token blocked by the server administrator");
        assertThatThrownBy(() -> FrameAgent.connect(server.port(), VECTOR_TOKEN)).hasStackTraceContaining("403");
        JsonNode aud = JSON.readTree(get("/admin/auditing").body());
        assertThat(aud.get("tunnels").get(id).get("blocked").asBoolean()).isTrue();
        assertThat(JSON.readTree(get("/admin/monitoring").body()).get("blocked_tokens").get(0).asText()).isEqualTo(id);

        // unblock: agents are welcome again
        assertThat(post("/admin/tokens/" + id + "/unblock").statusCode()).isEqualTo(200);
        awaitLine(ev, "event: token_unblocked");
        FrameAgent b = agent(VECTOR_TOKEN);
        awaitLine(ev, "event: agent_connected");
        String data2 = awaitLine(ev, "data: ");
        String agent2 = JSON.readTree(data2.substring(6)).get("agent_id").asText();
        assertThat(agent2).isNotEqualTo(agentId);

        // disconnect one agent
        assertThat(post("/admin/agents/nope/disconnect").statusCode()).isEqualTo(404);
        assertThat(post("/admin/agents/" + agent2 + "/disconnect").statusCode()).isEqualTo(200);
        b.closed.get(10, TimeUnit.SECONDS);
        awaitLine(ev, "event: admin_action");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(JSON.readTree(get("/admin/monitoring").body()).get("tunnel_connections").asInt()).isZero());
    }

    @Test
    void ticketRequestRefusalsNameNoJavaInternals() throws Exception {
        start();
        java.util.Map<String, String> bodies = java.util.Map.of(
                "{\"token\":", "Bad ticket request: not valid JSON at line 1, column 10 (expected {",
                "[".repeat(1500), "Bad ticket request: not valid JSON",
                "x".repeat(20_000), "Cannot read the ticket request: larger than 16384 bytes");
        for (java.util.Map.Entry<String, String> b : bodies.entrySet()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(url("/admin/tickets")).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(b.getKey())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            assertThat(r.body()).startsWith(b.getValue()).doesNotContain("`", "Source", "Constraints", "UT0", "jackson",
                    "Exception", "REDACTED");
        }
    }

    @Test
    void redirectUiAndApiDocs() throws Exception {
        start();
        HttpResponse<String> r = get("/admin");
        assertThat(r.statusCode()).isEqualTo(307);
        assertThat(r.headers().firstValue("Location")).contains(vectorHeader("admin-redirect.txt", "Location"));
        assertThat(r.body()).isEqualTo(vectorBody("admin-redirect.txt"));

        HttpResponse<String> ui = get("/admin/ui");
        assertThat(ui.statusCode()).isEqualTo(200);
        for (String h : new String[]{"Content-Type", "Cache-Control", "Expires", "Pragma"}) {
            assertThat(ui.headers().firstValue(h)).as(h).contains(vectorHeader("admin-ui-headers.txt", h));
        }
        assertThat(ui.body()).contains("<meta name=\"viewport\"", "'monitoring'", "'auditing'", "'events'")
                .doesNotContain("http://", "https://", "src=\"//");

        HttpResponse<String> docs = get("/admin/api-docs");
        assertThat(docs.headers().firstValue("Content-Type")).contains("application/json");
        JsonNode d = JSON.readTree(docs.body());
        assertThat(d.get("openapi").asText()).startsWith("3.");
        for (String p : new String[]{"/_stats", "/admin/monitoring", "/admin/auditing", "/admin/events", "/admin/api-docs",
                "/admin/ui", "/metrics", "/admin/agents/{agentId}/disconnect", "/admin/tokens/{tokenId}/block",
                "/admin/tokens/{tokenId}/unblock"}) {
            assertThat(d.get("paths").has(p)).as(p).isTrue();
        }
    }

    @Test
    void basePathPrefixesTheAdminEndpoints() throws Exception {
        start(ServerConfig.builder().basePath("/p"));
        assertThat(get("/p/admin/monitoring").statusCode()).isEqualTo(200);
        assertThat(get("/p/admin").headers().firstValue("Location")).contains("/p/admin/ui");
        assertThat(get("/p/_stats").body()).startsWith("tunnels=0\n");
        assertThat(JSON.readTree(get("/p/admin/api-docs").body()).get("servers").get(0).get("url").asText()).isEqualTo("/p");
    }

    @Test
    void separateAdminListener() throws Exception {
        start(ServerConfig.builder().adminListen("127.0.0.1:0"));
        assertThat(server.adminPort()).isPositive();
        assertThat(get("/admin/monitoring").statusCode()).isEqualTo(404);
        assertThat(get("/metrics").statusCode()).isEqualTo(404);
        assertThat(get("/_stats").statusCode()).isEqualTo(200);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort()
                + "/admin/monitoring")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        BlockingQueue<String> ev = events(server.adminPort());
        agent(VECTOR_TOKEN);
        assertThat(awaitLine(ev, "event: ")).isEqualTo("event: agent_connected");
    }
}
