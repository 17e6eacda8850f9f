package io.wstunnel.srv.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.LogCapture;
import io.wstunnel.srv.ServerPerTest;
import io.wstunnel.srv.tunnel.TokenRegistry;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The two INFO lines of a tunnelled request (arrival, completion) show the path with each query
 * parameter's name and never its value, and no token whole, while the agent still gets the full target.
 */
@Timeout(60)
class RequestLogTest extends ServerPerTest {
    static final String TOKEN = "request-log-token-0123456789";
    static final String REQUESTS = "io.wstunnel.srv.requests";

    @Test
    void queryValuesNeverReachTheRequestLog() throws Exception {
        try (LogCapture log = LogCapture.info(REQUESTS); FrameAgent agent = FrameAgent.connect(server.port(), TOKEN)) {
            String target = "/search?q=abc&access_token=eyJsecret1&debug&password=hunter2";
            CompletableFuture<HttpResponse<String>> viaHeader = http.sendAsync(HttpRequest.newBuilder(url(target))
                    .header("X-Token", TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer(agent)).isEqualTo(target);
            assertThat(viaHeader.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> log.messages(REQUESTS).size() >= 2); // its two lines

            CompletableFuture<HttpResponse<String>> viaPath = http.sendAsync(HttpRequest.newBuilder(
                    url("/_token/" + TOKEN + "/cb?code=oauthcode9")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer(agent)).isEqualTo("/cb?code=oauthcode9");
            assertThat(viaPath.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

            await().atMost(Duration.ofSeconds(10)).until(() -> log.messages(REQUESTS).size() >= 4);
            List<String> lines = log.messages(REQUESTS);
            String cut = TokenRegistry.cut(TOKEN);
            assertThat(lines.get(0)).matches("req \\w+ tunnel " + java.util.regex.Pattern.quote(cut)
                    + " GET /search\\?q=\\.\\.\\.&access_token=\\.\\.\\.&debug&password=\\.\\.\\.");
            assertThat(lines.get(1)).contains(" GET /search?q=...&access_token=...&debug&password=... -> 200 in=0B out=2B ");
            assertThat(lines.get(2)).endsWith(" GET /cb?code=...");
            assertThat(lines.get(3)).contains(" GET /cb?code=... -> 200 ");
            assertThat(lines).allSatisfy(m -> assertThat(m)
                    .doesNotContain("abc", "eyJsecret1", "hunter2", "oauthcode9", TOKEN));
        }
    }

    /** Takes the next request the agent gets, answers it 200 "ok" and returns its target. */
    static String answer(FrameAgent agent) throws Exception {
        Frame.Open open = agent.next(Frame.Open.class);
        agent.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "", Headers.of("Content-Length", "2")), false));
        agent.send(new Frame.Data(open.streamId(), ByteBuffer.wrap(new byte[] {'o', 'k'}), true));
        return open.head().target();
    }
}
