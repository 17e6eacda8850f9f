package io.wstunnel.srv.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.ServerConfig;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** -audit-log: one valid JSON line per request and per tunnel event. */
class AuditLogTest extends AdminTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PW_TOKEN = "pwtoken0123456789ab";

    @TempDir
    Path dir;

    List<JsonNode> records(Path file) throws Exception {
        List<JsonNode> l = new ArrayList<>();
        if (!Files.exists(file)) {
            return l;
        }
        for (String line : Files.readAllLines(file)) {
            JsonNode n = JSON.readTree(line); // every line must be one JSON object
            assertThat(n.isObject()).isTrue();
            l.add(n);
        }
        return l;
    }

    JsonNode only(List<JsonNode> l, String event) {
        List<JsonNode> m = l.stream().filter(n -> n.path("event").asText().equals(event)).toList();
        assertThat(m).as(event).hasSize(1);
        return m.get(0);
    }

    @Test
    void everyRequestAndTunnelEventIsOneJsonLine() throws Exception {
        Path file = dir.resolve("audit.log");
        start(ServerConfig.builder().auditLog(file.toString()).password(PW_TOKEN, "s3cret").maxClientsPerToken(1));
        FrameAgent a = agent(VECTOR_TOKEN);
        CompletableFuture<HttpResponse<String>> r = tunnelled(VECTOR_TOKEN, "/audited/path?q=1");
        answer(a, 200, "hello");
        assertThat(r.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        // auth failure, limit reject
        try {
            FrameAgent.connect(server.port(), PW_TOKEN).close();
        } catch (Exception expected) {
            // 401
        }
        try {
            FrameAgent.connect(server.port(), VECTOR_TOKEN).close();
        } catch (Exception expected) {
            // 429
        }
        a.close();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            List<JsonNode> l = records(file);
            assertThat(l).extracting(n -> n.path("event").asText())
                    .contains("agent_connected", "request", "auth_failure", "limit_reject", "agent_disconnected");
        });
        List<JsonNode> l = records(file);
        JsonNode req = only(l, "request");
        assertThat(req.get("method").asText()).isEqualTo("GET");
        assertThat(req.get("path").asText()).isEqualTo("/audited/path?q=1");
        assertThat(req.get("status").asInt()).isEqualTo(200);
        assertThat(req.get("bytes_out").asLong()).isEqualTo(5);
        assertThat(req.get("bytes_in").asLong()).isZero();
        assertThat(req.get("duration_ms").isIntegralNumber()).isTrue();
        assertThat(req.get("caller").asText()).matches("127\\.0\\.0\\.1:\\d+");
        assertThat(req.get("token").asText()).isEqualTo("vectorto...");
        assertThat(req.get("token_id").asText()).isEqualTo(TokenIds.id(VECTOR_TOKEN));
        assertThat(req.get("agent_id").asText()).startsWith("a");
        assertThat(Instant.parse(req.get("@timestamp").asText())).isBefore(Instant.now().plusSeconds(1));
        JsonNode connected = l.stream().filter(n -> n.path("event").asText().equals("agent_connected")).findFirst().orElseThrow();
        assertThat(connected.get("protocol").asText()).isEqualTo("wstunnel.v2");
        assertThat(connected.get("remote_addr").asText()).matches("127\\.0\\.0\\.1:\\d+");
        JsonNode auth = only(l, "auth_failure");
        assertThat(auth.get("status").asInt()).isEqualTo(401);
        assertThat(auth.get("token").asText()).isEqualTo("pwtoken0...");
        assertThat(only(l, "limit_reject").get("status").asInt()).isEqualTo(429);
        assertThat(Files.readString(file)).doesNotContain(VECTOR_TOKEN).doesNotContain(PW_TOKEN).doesNotContain("s3cret");
    }

    @Test
    void adminActionsAreAudited() throws Exception {
        Path file = dir.resolve("audit.log");
        start(ServerConfig.builder().auditLog(file.toString()));
        agent(VECTOR_TOKEN);
        String id = TokenIds.id(VECTOR_TOKEN);
        assertThat(post("/admin/tokens/" + id + "/block").statusCode()).isEqualTo(200);
        assertThat(post("/admin/tokens/" + id + "/unblock").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(records(file))
                .extracting(n -> n.path("event").asText()).contains("token_blocked", "token_unblocked"));
        JsonNode blocked = only(records(file), "token_blocked");
        assertThat(blocked.get("token_id").asText()).isEqualTo(id);
        assertThat(blocked.get("by").asText()).startsWith("127.0.0.1:");
        assertThat(records(file)).extracting(n -> n.path("event").asText()).doesNotContain("").isNotEmpty();
    }

    @Test
    void refusalsOfATenantsRequestsAreAuditedWithTheirReason() throws Exception {
        Path file = dir.resolve("audit.log");
        start(ServerConfig.builder().auditLog(file.toString())
                .limits(io.wstunnel.srv.limits.Limits.builder().requestsPerSecond(0.001).requestBurst(1).build()));
        FrameAgent a = agent(VECTOR_TOKEN);
        CompletableFuture<HttpResponse<String>> first = tunnelled(VECTOR_TOKEN, "/one");
        answer(a, 200, "ok");
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(tunnelled(VECTOR_TOKEN, "/two").get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(429);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(records(file))
                .extracting(n -> n.path("event").asText()).contains("request_refused"));
        JsonNode refused = only(records(file), "request_refused");
        assertThat(refused.get("reason").asText()).isEqualTo("rate_limited");
        assertThat(refused.get("status").asInt()).isEqualTo(429);
        assertThat(refused.get("token_id").asText()).isEqualTo(TokenIds.id(VECTOR_TOKEN));
        assertThat(Files.readString(file)).doesNotContain(VECTOR_TOKEN);
    }
}
