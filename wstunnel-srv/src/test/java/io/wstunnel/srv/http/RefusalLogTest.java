package io.wstunnel.srv.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.LogCapture;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import io.wstunnel.srv.limits.Limits;
import io.wstunnel.srv.tunnel.TokenRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Requests answered by the router itself get one INFO line each, as completed requests do (issue 2,
 * "Logging"): cut token, method, path, status and reason; no token ever appears whole, even one of a
 * few characters or one inside a /_token/ path. Agent disconnect lines name the agent's version.
 */
@Timeout(60)
class RefusalLogTest {
    static final String LIVE = "refusal-live-token-0123456789";
    static final String GONE = "refusal-gone-token-0123456789";
    static final String REQUESTS = "io.wstunnel.srv.requests";

    TunnelServer server;
    LogCapture log;
    FrameAgent live;

    @BeforeEach
    void start() throws Exception {
        log = LogCapture.info("io.wstunnel.srv");
        server = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0).basePath("/p")
                .reconnectGrace(Duration.ZERO)
                .limits(Limits.builder().maxBodyBytes(10).requestsPerSecond(0.001).requestBurst(1).build()).build());
        live = FrameAgent.connect(tunnel(), LIVE, null, Map.of("X-Client-Version", "refusal-test-agent/1.2"));
    }

    @AfterEach
    void stop() {
        if (live != null) {
            live.abort();
        }
        if (server != null) {
            server.stop(Duration.ZERO);
        }
        if (log != null) {
            log.close();
        }
    }

    URI tunnel() {
        return URI.create("ws://127.0.0.1:" + server.port() + "/p/_tunnel");
    }

    @Test
    void everyRefusalIsOneInfoLineWithoutAWholeToken() throws Exception {
        FrameAgent gone = FrameAgent.connect(tunnel(), GONE, null, Map.of("X-Client-Version", "gone-agent/9"));
        gone.abort();
        await().atMost(Duration.ofSeconds(10)).until(() -> log.messages().stream()
                .anyMatch(m -> m.contains("disconnected") && m.contains("version 'gone-agent/9'")));

        String[][] cases = {
            // request head                                                         status  line must contain
            {"GET /p/x HTTP/1.1", "400", "- GET /x -> 400 refused (missing_token)"},
            {"GET /p/x HTTP/1.1\r\nX-Token: abcdefgh", "404", "abcd... GET /x -> 404 refused (unknown_token)"},
            {"GET /elsewhere HTTP/1.1\r\nX-Token: " + LIVE, "404", "- GET /elsewhere -> 404 refused (outside_base_path)"},
            {"GET /_token/" + LIVE + "/x HTTP/1.1", "404",
                "- GET /_token/" + TokenRegistry.cut(LIVE) + "/x -> 404 refused (outside_base_path)"},
            {"GET /p/_token/" + LIVE + " HTTP/1.1", "400",
                "- GET /_token/" + TokenRegistry.cut(LIVE) + " -> 400 refused (missing_token_in_uri)"},
            {"POST /p/up HTTP/1.1\r\nX-Token: " + LIVE + "\r\nContent-Length: 100", "413",
                TokenRegistry.cut(LIVE) + " POST /up -> 413 refused (body_too_large)"},
            {"GET /p/again HTTP/1.1\r\nX-Token: " + LIVE, "429",
                TokenRegistry.cut(LIVE) + " GET /again -> 429 refused (rate_limited)"},
            {"GET /p/gone HTTP/1.1\r\nX-Token: " + GONE, "503", TokenRegistry.cut(GONE) + " GET /gone -> 503 refused (no_agent)"},
        };
        for (String[] c : cases) {
            int before = log.messages(REQUESTS).size();
            assertThat(status(c[0])).as(c[0]).isEqualTo(Integer.parseInt(c[1]));
            List<String> lines = log.messages(REQUESTS);
            assertThat(lines.subList(before, lines.size())).as(c[0]).singleElement().asString().endsWith(c[2]);
        }
        for (String m : log.messages()) {
            assertThat(m).doesNotContain(LIVE, GONE, "abcdefgh");
        }
    }

    @Test
    void agentDisconnectLinesNameTheVersion() throws Exception {
        live.abort();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(log.messages())
                .anySatisfy(m -> assertThat(m).contains(TokenRegistry.cut(LIVE)).contains("disconnected")
                        .contains("version 'refusal-test-agent/1.2'")));
    }

    /** Sends one request on its own connection and returns the response status. */
    int status(String head) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write((head + "\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            String statusLine = new String(in.readNBytes(12), StandardCharsets.ISO_8859_1);
            return Integer.parseInt(statusLine.substring(9, 12));
        }
    }
}
