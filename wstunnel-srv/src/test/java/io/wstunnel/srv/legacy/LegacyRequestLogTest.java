package io.wstunnel.srv.legacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wstunnel.srv.LogCapture;
import io.wstunnel.srv.ServerPerTest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Requests served by a legacy (Go-framing) agent are logged as others are: query values replaced. */
@Timeout(60)
class LegacyRequestLogTest extends ServerPerTest {
    static final String TOKEN = "legacy-reqlog-token-0123456789";
    static final String REQUESTS = "io.wstunnel.srv.requests";

    @Test
    void queryValuesNeverReachTheRequestLog() throws Exception {
        try (LogCapture log = LogCapture.info(REQUESTS); LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN)) {
            CompletableFuture<HttpResponse<String>> f = http.sendAsync(HttpRequest.newBuilder(
                    url("/login?user=bob&password=hunter2")).header("X-Token", TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
            LegacyTestAgent.Request r = agent.next();
            assertThat(r.target()).isEqualTo("/login?user=bob&password=hunter2");
            agent.reply(r.idText(), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            assertThat(f.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> log.messages(REQUESTS).size() >= 2);
            List<String> lines = log.messages(REQUESTS);
            assertThat(lines.get(0)).endsWith(" GET /login?user=...&password=...");
            assertThat(lines.get(1)).contains(" GET /login?user=...&password=... -> 200 ");
            assertThat(lines).allSatisfy(m -> assertThat(m).doesNotContain("bob", "hunter2", TOKEN));
        }
    }
}
