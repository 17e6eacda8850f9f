package io.wstunnel.srv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link TunnelServer#stop(Duration)}: a request in flight when the stop begins is still answered
 * within the grace period, and only then are agent sockets told GOAWAY GOING_AWAY and closed with
 * 1001 (going away), as README "systemd" and PROTOCOL.md promise.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GracefulStopTest {
    static final String TOKEN = "graceful-token-0123456789";
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    TunnelServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(Duration.ZERO);
        }
    }

    private CompletableFuture<HttpResponse<String>> get(String path) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("X-Token", TOKEN).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anInFlightRequestFinishesInTheGraceThenAgentSocketsAreClosedWith1001() throws Exception {
        server = TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0)
                .httpTimeout(Duration.ofSeconds(30)).build());
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN)) {
            CompletableFuture<HttpResponse<String>> inFlight = get("/slow");
            int id = agent.next(Frame.Open.class).streamId();

            long stopStart = System.nanoTime();
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> server.stop(Duration.ofSeconds(20)));
            // The stop has begun once a new request is refused with 503.
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                HttpResponse<String> late = get("/late").get(10, TimeUnit.SECONDS);
                assertThat(late.statusCode()).isEqualTo(503);
                assertThat(late.body()).isEqualTo("Server is shutting down");
            });
            assertThat(agent.frames).as("frames before the in-flight request is answered")
                    .noneMatch(f -> f instanceof Frame.GoAway);
            assertThat(agent.closed).as("the agent socket while a request is in flight").isNotDone();
            assertThat(stopping).isNotDone();

            agent.send(new Frame.Reply(id, new ResponseHead(200, "OK", Headers.of("Content-Length", "4")), true,
                    ByteBuffer.wrap("done".getBytes(StandardCharsets.US_ASCII))));

            HttpResponse<String> r = inFlight.get(10, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as("the request in flight when the stop began").isEqualTo(200);
            assertThat(r.body()).isEqualTo("done");
            Frame.GoAway goAway = agent.next(Frame.GoAway.class);
            assertThat(goAway.code()).isEqualTo(ErrorCode.GOING_AWAY);
            assertThat(agent.closed.get(10, TimeUnit.SECONDS)).as("close code of the agent socket").isEqualTo(1001);
            stopping.get(15, TimeUnit.SECONDS);
            assertThat((System.nanoTime() - stopStart) / 1e9).as("seconds the stop took (grace 20 s, all done early)")
                    .isLessThan(15);
        }
    }
}
