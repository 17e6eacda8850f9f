package io.wstunnel.srv.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.ServerConfig;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** /_stats, /admin/monitoring and /admin/auditing against LEGACY.md §6 and vectors/srv-endpoints. */
class AdminFormatTest extends AdminTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void statsWithoutTunnelsIsTheGoTextByteForByte() throws Exception {
        start();
        HttpResponse<String> r = get("/_stats");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains(vectorHeader("stats-no-tunnel.txt", "Content-Type"));
        assertThat(r.body()).isEqualTo(vectorBody("stats-no-tunnel.txt"));
    }

    @Test
    void statsWithOneTunnelMatchesTheCaptureOnceMasked() throws Exception {
        start();
        agent(VECTOR_TOKEN);
        HttpResponse<String> r = get("/_stats");
        assertThat(maskStats(r.body())).isEqualTo(maskStats(vectorBody("stats-local.txt")));
        assertThat(r.body()).doesNotContain(VECTOR_TOKEN);
    }

    @Test
    void statsWithARequestInFlightShowsPendingAndCallerAddress() throws Exception {
        start();
        FrameAgent a = agent(VECTOR_TOKEN);
        CompletableFuture<HttpResponse<String>> slow = tunnelled(VECTOR_TOKEN, "/slow");
        Frame.Open open = a.next(Frame.Open.class);
        HttpResponse<String> r = get("/_stats");
        assertThat(maskStats(r.body())).isEqualTo(maskStats(vectorBody("stats-local-in-flight.txt")));

        // auditing while in flight: the Go fields of auditing-in-flight.txt, with the token cut
        JsonNode ours = JSON.readTree(get("/admin/auditing").body());
        JsonNode go = JSON.readTree(vectorBody("auditing-in-flight.txt"));
        assertSameLegacyShape(go, ours);
        JsonNode tunnel = ours.get("tunnels").elements().next();
        JsonNode conn = tunnel.get("active_connections").get(0);
        assertThat(conn.get("method").asText()).isEqualTo("GET");
        assertThat(conn.get("uri").asText()).isEqualTo("/slow");
        assertThat(conn.get("remote_addr").asText()).matches("127\\.0\\.0\\.1:\\d+");
        assertThat(conn.get("request_id").isIntegralNumber()).isTrue();
        assertThat(tunnel.get("pending_requests").asInt()).isEqualTo(1);

        JsonNode mon = JSON.readTree(get("/admin/monitoring").body());
        assertThat(fieldNames(mon).subList(0, 6)).isEqualTo(fieldNames(JSON.readTree(vectorBody("monitoring-in-flight.txt"))));
        assertThat(mon.get("pending_requests").asInt()).as("Go always said 0 here (bug); we count").isEqualTo(1);

        a.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "", Headers.of("Content-Length", "2")), false));
        a.send(new Frame.Data(open.streamId(), ByteBuffer.wrap("ok".getBytes()), true));
        assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(maskStats(get("/_stats").body())).isEqualTo(maskStats(vectorBody("stats-local.txt"))));
    }

    @Test
    void statsWithTwoTokensListsBothInArrivalOrderWithClientVersion() throws Exception {
        start();
        agent(VECTOR_TOKEN);
        closeLater(FrameAgent.connect(server.port(), CURL_TOKEN, Map.of("X-Client-Version", "curl-probe")));
        assertThat(maskStats(get("/_stats").body())).isEqualTo(maskStats(vectorBody("stats-local-two-tokens.txt")));
    }

    @Test
    void remoteCallersGetOnlyTheHeaderLines() throws Exception {
        start();
        agent(VECTOR_TOKEN);
        // a loopback peer that is not a trusted proxy but forwards someone: not local
        assertThat(get("/_stats", "X-Forwarded-For", "10.0.0.1").body()).isEqualTo(vectorBody("stats-xff-10.0.0.1.txt"));
    }

    @Test
    void maxClientsAddsPerTokenClientLines() throws Exception {
        start(ServerConfig.builder().maxClientsPerToken(1).password("pwtoken0123456789ab", "s3cret"));
        closeLater(FrameAgent.connect(server.port(), "pwtoken0123456789ab", Map.of("Authorization",
                "Basic " + java.util.Base64.getEncoder().encodeToString("pwtoken0123456789ab:s3cret".getBytes()))));
        closeLater(FrameAgent.connect(server.port(), "nopwtoken0123456789"));
        String body = get("/_stats", "X-Forwarded-For", "10.0.0.1").body();
        // Go counted clients of password-checked tokens only; we count every token with agents.
        assertThat(body).contains("token_clients_pwtoken0...=1\n", "token_clients_nopwtoke...=1\n", "total_clients=2\n");
        String clientLines = "(?m)^(token_clients_.*|total_clients=\\d+)\n";
        assertThat(body.replaceAll(clientLines, "")).isEqualTo(vectorBody("max-clients-stats-xff.txt").replaceAll(clientLines, ""));
        String local = get("/_stats").body();
        assertThat(maskStats(local.replaceAll(clientLines, "")))
                .isEqualTo(maskStats(vectorBody("max-clients-stats-local.txt").replaceAll(clientLines, "")));
    }

    @Test
    void monitoringKeepsTheGoFieldsFirstAndCountsRequests() throws Exception {
        start();
        HttpResponse<String> r = get("/admin/monitoring");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains(vectorHeader("monitoring-no-tunnel.txt", "Content-Type"));
        assertThat(r.body()).endsWith("}\n");
        JsonNode none = JSON.readTree(r.body());
        JsonNode goNone = JSON.readTree(vectorBody("monitoring-no-tunnel.txt"));
        assertThat(fieldNames(none).subList(0, 6)).isEqualTo(fieldNames(goNone));
        for (String k : List.of("unique_tunnels", "tunnel_connections", "pending_requests", "completed_requests",
                "errored_requests")) {
            assertThat(none.get(k).asLong()).as(k).isEqualTo(goNone.get(k).asLong());
        }
        Instant.parse(none.get("timestamp").asText()); // RFC 3339

        FrameAgent a = agent(VECTOR_TOKEN);
        JsonNode one = JSON.readTree(get("/admin/monitoring").body());
        JsonNode goOne = JSON.readTree(vectorBody("monitoring.txt"));
        for (String k : List.of("unique_tunnels", "tunnel_connections", "pending_requests")) {
            assertThat(one.get(k).asLong()).as(k).isEqualTo(goOne.get(k).asLong());
        }
        CompletableFuture<HttpResponse<String>> ok = tunnelled(VECTOR_TOKEN, "/ok");
        answer(a, 200, "fine");
        assertThat(ok.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        CompletableFuture<HttpResponse<String>> redirect = tunnelled(VECTOR_TOKEN, "/r");
        answer(a, 302, "");
        assertThat(redirect.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(302);
        CompletableFuture<HttpResponse<String>> bad = tunnelled(VECTOR_TOKEN, "/bad");
        answer(a, 500, "boom");
        assertThat(bad.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(500);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonNode m = JSON.readTree(get("/admin/monitoring").body());
            assertThat(m.get("completed_requests").asLong()).as("200-399 are completed").isEqualTo(2);
            assertThat(m.get("errored_requests").asLong()).isEqualTo(1);
            assertThat(m.get("bytes_out").asLong()).isEqualTo(8);
        });
        get("/admin/nothing-here"); // unknown admin path: 404, not tunnelled
        assertThat(get("/admin/nothing-here").statusCode()).isEqualTo(404);
        HttpResponse<String> post = post("/admin/monitoring");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.body()).isEqualTo(vectorBody("admin-monitoring-post-405.txt"));
    }

    @Test
    void auditingHasTheGoShapeButNeverTheFullToken() throws Exception {
        start();
        HttpResponse<String> empty = get("/admin/auditing");
        assertThat(fieldNames(JSON.readTree(empty.body()))).isEqualTo(fieldNames(JSON.readTree(vectorBody("auditing-no-tunnel.txt"))));
        assertThat(JSON.readTree(empty.body()).get("tunnels").size()).isZero();

        agent(VECTOR_TOKEN);
        closeLater(FrameAgent.connect(server.port(), CURL_TOKEN, Map.of("X-Client-Version", "curl-probe")));
        HttpResponse<String> r = get("/admin/auditing");
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(r.body()).doesNotContain(VECTOR_TOKEN).doesNotContain(CURL_TOKEN);
        JsonNode ours = JSON.readTree(r.body());
        JsonNode go = JSON.readTree(vectorBody("auditing-final.txt"));
        assertSameLegacyShape(go, ours);
        JsonNode curl = null;
        for (JsonNode t : iterable(ours.get("tunnels"))) {
            if (t.get("token").asText().equals("curltoke...")) {
                curl = t;
            }
        }
        assertThat(curl).isNotNull();
        assertThat(curl.get("client_version").asText()).isEqualTo("curl-probe");
        assertThat(curl.get("remote_addr").asText()).matches("127\\.0\\.0\\.1:\\d+");
        assertThat(curl.get("token_id").asText()).isEqualTo(TokenIds.id(CURL_TOKEN)).matches("t-[0-9a-f]{16}");
        assertThat(curl.get("agents").get(0).get("protocol").asText()).isEqualTo("wstunnel.v2");
        assertThat(ours.get("tunnels").has(TokenIds.id(CURL_TOKEN))).as("keyed by token id").isTrue();
    }

    @Test
    void legacyFramedAgentsAreListedWithTheirProtocol() throws Exception {
        start();
        java.net.http.WebSocket ws;
        try {
            ws = http.newWebSocketBuilder().header("Origin", VECTOR_TOKEN).header("X-Client-Version", "go-like")
                    .buildAsync(java.net.URI.create("ws://127.0.0.1:" + server.port() + "/_tunnel"),
                            new java.net.http.WebSocket.Listener() {
                            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            org.junit.jupiter.api.Assumptions.abort("this build does not accept legacy agents: " + e);
            return;
        }
        closeLater(ws::abort);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            JsonNode t = JSON.readTree(get("/admin/auditing").body()).get("tunnels").get(TokenIds.id(VECTOR_TOKEN));
            assertThat(t).isNotNull();
            assertThat(t.get("agents").get(0).get("protocol").asText()).isEqualTo("legacy");
            assertThat(t.get("client_version").asText()).isEqualTo("go-like");
        });
        assertThat(maskStats(get("/_stats").body())).contains("tunnel00_client_version=go-like\n");
        ws.abort();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(JSON.readTree(get("/admin/monitoring").body()).get("tunnel_connections").asInt()).isZero());
    }

    /** Same top-level keys; each of our tunnels has at least the Go tunnel fields with the same JSON types. */
    static void assertSameLegacyShape(JsonNode go, JsonNode ours) {
        assertThat(fieldNames(ours)).isEqualTo(fieldNames(go));
        assertThat(ours.get("tunnels").size()).isEqualTo(go.get("tunnels").size());
        JsonNode goTunnel = go.get("tunnels").elements().next();
        for (JsonNode t : iterable(ours.get("tunnels"))) {
            for (String k : fieldNames(goTunnel)) {
                assertThat(t.has(k)).as("tunnel field " + k).isTrue();
                assertThat(t.get(k).getNodeType()).as("type of " + k).isEqualTo(goTunnel.get(k).getNodeType());
            }
            assertThat(t.get("token").asText()).matches(".{8}\\.\\.\\.");
            Instant.parse(t.get("last_activity").asText());
            JsonNode goConns = goTunnel.get("active_connections");
            if (goConns.size() > 0 && t.get("active_connections").size() > 0) {
                for (String k : fieldNames(goConns.get(0))) {
                    assertThat(t.get("active_connections").get(0).get(k).getNodeType()).as(k)
                            .isEqualTo(goConns.get(0).get(k).getNodeType());
                }
            }
        }
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> l = new ArrayList<>();
        n.fieldNames().forEachRemaining(l::add);
        return l;
    }

    static Iterable<JsonNode> iterable(JsonNode n) {
        return () -> {
            Iterator<JsonNode> it = n.elements();
            return it;
        };
    }
}
