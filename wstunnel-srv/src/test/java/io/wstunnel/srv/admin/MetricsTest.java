package io.wstunnel.srv.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.ServerConfig;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** /metrics parses as Prometheus text and moves with real traffic, bytes included while they flow. */
class MetricsTest extends AdminTestSupport {
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*\\})? "
                    + "(-?[0-9.eE+-]+|NaN|\\+Inf|-Inf)( -?[0-9]+)?");

    /** Parses the exposition strictly: every line is a comment (# HELP / # TYPE) or a sample. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                assertThat(line).matches("# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*");
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertThat(m.matches()).as("sample line: " + line).isTrue();
            samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)
                    .replace("+Inf", "Infinity").replace("-Inf", "-Infinity")));
        }
        return samples;
    }

    Map<String, Double> scrape() throws Exception {
        HttpResponse<String> r = get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        return parse(r.body());
    }

    static double v(Map<String, Double> m, String key) {
        return m.getOrDefault(key, 0.0);
    }

    @Test
    void metricsParseAndCountTunnelsAgentsRequestsAndRejects() throws Exception {
        start();
        Map<String, Double> m0 = scrape();
        assertThat(m0).containsKeys("wstunnel_tunnels", "wstunnel_agents", "wstunnel_requests_in_flight",
                "wstunnel_requests_queued", "process_uptime_seconds");
        assertThat(m0.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes"));
        assertThat(m0.keySet()).anyMatch(k -> k.startsWith("jvm_threads_live_threads"));
        FrameAgent a = agent(VECTOR_TOKEN);
        CompletableFuture<HttpResponse<String>> r = tunnelled(VECTOR_TOKEN, "/m");
        answer(a, 201, "created");
        assertThat(r.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
        CompletableFuture<HttpResponse<String>> bad = tunnelled(VECTOR_TOKEN, "/e");
        answer(a, 503, "x");
        bad.get(10, TimeUnit.SECONDS);
        assertThat(tunnelled("unknowntoken0123456789", "/").get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(404);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            Map<String, Double> m = scrape();
            assertThat(v(m, "wstunnel_tunnels")).isEqualTo(1);
            assertThat(v(m, "wstunnel_agents")).isEqualTo(1);
            assertThat(v(m, "wstunnel_requests_total{status_class=\"2xx\"}")).isEqualTo(1);
            assertThat(v(m, "wstunnel_requests_total{status_class=\"5xx\"}")).isEqualTo(1);
            assertThat(v(m, "wstunnel_token_requests_total{token=\"vectorto...\",token_id=\"" + TokenIds.id(VECTOR_TOKEN) + "\"}")).isEqualTo(2);
            assertThat(v(m, "wstunnel_rejects_total{reason=\"request_unknown_token\"}")).isEqualTo(1);
            assertThat(v(m, "wstunnel_agent_connects_total")).isEqualTo(1);
            assertThat(v(m, "wstunnel_request_duration_seconds_count")).isEqualTo(2);
            assertThat(m.keySet()).anyMatch(k -> k.startsWith("wstunnel_request_duration_seconds_bucket{le="));
        });
        a.close();
        closeLater(FrameAgent.connect(server.port(), VECTOR_TOKEN));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            Map<String, Double> m = scrape();
            assertThat(v(m, "wstunnel_agent_reconnects_total")).isEqualTo(1);
            assertThat(v(m, "wstunnel_agent_disconnects_total")).isEqualTo(1);
        });
    }

    @Test
    void bytesAreCountedWhileALongStreamFlowsBothWays() throws Exception {
        start();
        FrameAgent a = agent(VECTOR_TOKEN);
        byte[] upload = new byte[50_000];
        CompletableFuture<HttpResponse<InputStream>> call = http.sendAsync(HttpRequest.newBuilder(url("/stream"))
                .header("X-Token", VECTOR_TOKEN).POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        Frame.Open open = a.next(Frame.Open.class);
        int got = 0;
        while (got < upload.length) {
            got += a.next(Frame.Data.class).payload().remaining();
        }
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(v(scrape(), "wstunnel_bytes_in_total")).as("before any reply").isEqualTo(50_000));
        a.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "", Headers.of()), false));
        a.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(new byte[30_000]), false));
        HttpResponse<InputStream> resp = call.get(10, TimeUnit.SECONDS);
        InputStream body = resp.body();
        body.readNBytes(30_000);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            Map<String, Double> m = scrape();
            assertThat(v(m, "wstunnel_bytes_out_total")).as("stream still open").isEqualTo(30_000);
            assertThat(v(m, "wstunnel_token_bytes_out_total{token=\"vectorto...\",token_id=\"" + TokenIds.id(VECTOR_TOKEN) + "\"}")).isEqualTo(30_000);
            assertThat(v(m, "wstunnel_requests_in_flight")).isEqualTo(1);
        });
        assertThat(get("/admin/auditing").body()).contains("\"bytes_out\":30000");
        a.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(new byte[20_000]), true));
        assertThat(body.readAllBytes()).hasSize(20_000);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            Map<String, Double> m = scrape();
            assertThat(v(m, "wstunnel_bytes_out_total")).isEqualTo(50_000);
            assertThat(v(m, "wstunnel_requests_in_flight")).isEqualTo(0);
        });
    }

    @Test
    void perTokenLabelsAreCapped() {
        Metrics m = new Metrics(3, () -> 0, () -> 0, () -> 0, () -> 0, () -> 0, () -> 0);
        try {
            for (int i = 0; i < 1000; i++) {
                m.completed("token-number-" + i + "-0123456789", 200, 1);
            }
            String text = m.scrape();
            long series = text.lines().filter(l -> l.startsWith("wstunnel_token_requests_total{")).count();
            assertThat(series).isEqualTo(4); // 3 tokens + other
            assertThat(parse(text).get("wstunnel_token_requests_total{token=\"other\",token_id=\"other\"}")).isEqualTo(997);
        } finally {
            m.close();
        }
    }

    @Test
    void metricsStayOffTheTunnelWhenTheRequestCarriesAToken() throws Exception {
        start(ServerConfig.builder());
        FrameAgent a = agent(VECTOR_TOKEN);
        CompletableFuture<HttpResponse<String>> r = tunnelled(VECTOR_TOKEN, "/metrics");
        answer(a, 200, "app metrics");
        assertThat(r.get(10, TimeUnit.SECONDS).body()).isEqualTo("app metrics");
    }
}
