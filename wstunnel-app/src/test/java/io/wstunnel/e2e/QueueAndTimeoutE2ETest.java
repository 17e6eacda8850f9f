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
    private static final int QUEUE = 2;
    private static final String QUEUE_FULL = "too many requests in-flight, tunnel broken?";
    private static final String TIMEOUT = "Tunnel timeout";

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withWireMock()
            .server(b -> b.maxRequestsPerTunnel(QUEUE).httpTimeout(Duration.ofSeconds(2)));

    @BeforeEach
    void agentGoesAway() {
        // The token is known to the server (its agent connected once); now the agent is gone.
        tunnel.agent().stop(Duration.ZERO);
        await().atMost(Duration.ofSeconds(10)).until(() -> !tunnel.agent().isConnected());
        await().atMost(Duration.ofSeconds(10)).until(() -> tunnel.tunnelServer().agents() == 0);
    }

    @Test
    void requestWithAgentGoneTimesOutWith504InAboutTwoSeconds() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = tunnel.callerGet("/waits");
        double seconds = (System.nanoTime() - start) / 1e9;

        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(r.body().strip()).isEqualTo(TIMEOUT);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
        assertThat(seconds).as("seconds until the 504 with -httptimeout 2").isBetween(1.8, 3.5);
    }

    /** One caller's answer and how long it took from sending. */
    private record Timed(HttpResponse<String> response, double seconds) {
    }

    @Test
    void exactlyTheRequestsBeyondTheQueueAreRefusedAtOnceAndTheQueuedOnesTimeOut() throws Exception {
        int sent = QUEUE + 3;
        List<CompletableFuture<Timed>> futures = new ArrayList<>();
        for (int i = 0; i < sent; i++) {
            long start = System.nanoTime();
            futures.add(tunnel.client().sendAsync(tunnel.callerRequest("/q/" + i).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).thenApply(r -> new Timed(r, (System.nanoTime() - start) / 1e9)));
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(20, TimeUnit.SECONDS);

        List<Double> refused = new ArrayList<>();
        List<Double> timedOut = new ArrayList<>();
        for (CompletableFuture<Timed> f : futures) {
            HttpResponse<String> r = f.get().response();
            assertThat(r.statusCode()).as("status of %s", r.uri()).isEqualTo(504);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
            String body = r.body();
            assertThat(body).as("body of %s", r.uri()).isIn(QUEUE_FULL, TIMEOUT);
            (body.equals(QUEUE_FULL) ? refused : timedOut).add(f.get().seconds());
        }
        assertThat(refused).as("seconds until each queue-full refusal (queue %d, %d sent)", QUEUE, sent)
                .hasSize(sent - QUEUE).allSatisfy(s -> assertThat(s).isLessThan(1.5));
        assertThat(timedOut).as("seconds until each queued request timed out (-httptimeout 2)")
                .hasSize(QUEUE).allSatisfy(s -> assertThat(s).isBetween(1.8, 3.5));
        assertThat(tunnel.wireMock().findAll(anyRequestedFor(anyUrl()))).isEmpty();
    }
}
