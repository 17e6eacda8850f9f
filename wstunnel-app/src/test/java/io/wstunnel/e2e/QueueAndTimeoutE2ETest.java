package io.wstunnel.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A known token whose agent has gone: requests wait in a bounded queue (-max-requests-per-tunnel 2)
 * until -httptimeout (2 s), then 504 (LEGACY.md §4).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QueueAndTimeoutE2ETest {

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withWireMock()
            .server(b -> b.maxRequestsPerTunnel(2).httpTimeout(Duration.ofSeconds(2)));

    @BeforeEach
    void agentGoesAway() throws InterruptedException {
        // The token is known to the server (its agent connected once); now the agent is gone.
        tunnel.agent().stop(Duration.ZERO);
        await().atMost(Duration.ofSeconds(10)).until(() -> !tunnel.agent().isConnected());
        Thread.sleep(300); // let the server see the close of the socket
    }

    @Test
    void requestWithAgentGoneTimesOutWith504InAboutTwoSeconds() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = tunnel.callerGet("/waits");
        double seconds = (System.nanoTime() - start) / 1e9;

        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(r.body().strip()).isEqualTo("Tunnel timeout");
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
        assertThat(seconds).as("seconds until the 504 with -httptimeout 2").isBetween(1.5, 6.0);
    }

    @Test
    void queueBeyondMaxRequestsPerTunnelGives504TooManyRequests() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            futures.add(tunnel.client().sendAsync(tunnel.callerRequest("/q/" + i).GET().build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(20, TimeUnit.SECONDS);

        int tooMany = 0;
        for (CompletableFuture<HttpResponse<String>> f : futures) {
            HttpResponse<String> r = f.get();
            assertThat(r.statusCode()).as("status of %s", r.uri()).isEqualTo(504);
            String body = r.body().strip();
            assertThat(body).isIn("too many requests in-flight, tunnel broken?", "Tunnel timeout");
            if (body.equals("too many requests in-flight, tunnel broken?")) {
                tooMany++;
            }
        }
        assertThat(tooMany).as("requests refused because the queue (2) was full, of 5").isGreaterThanOrEqualTo(1);
        assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl()))).isEmpty();
    }
}
